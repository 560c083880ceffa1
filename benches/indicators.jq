# The four core indicators of casematch's shipped rules, as a jq filter, for the
# side-by-side benchmark (benches/run.sh). One compact object per input profile:
#   jq -c -S -f benches/indicators.jq profiles.ndjson
# A cited list is absent/null (unknown), {"none": citation} (none), or an array.
def facts(f): if f == null then null elif (f | type) == "object" then [] else f end;

def under_recall:
  facts(.recalls) as $r
  | if $r == null then "unknown"
    elif ($r | length) == 0 then "no"
    elif any($r[]; .status == "in_force") then "yes"
    else "unknown" end;

def under_suspicion:
  facts(.troubles) as $t
  | if $t == null then "unknown"
    elif ($t | length) == 0 then "no"
    else "yes" end;

def immediate_family_abroad:
  facts(.family) as $family
  | (.marital_status.value // null) as $status
  | if $family == null and $status == null then "unknown"
    else
      ($family // []) as $members
      | [$members[] | select(.relation | IN("wife", "husband", "partner", "son", "daughter", "child"))] as $immediate
      | [$immediate[] | select(.location != "deceased" and .location != "missing")] as $living
      | if any($living[]; .location == "ussr") then "no"
        elif ($living | length) > 0 then
          (if any($living[]; .location == null) then "unknown" else "yes" end)
        elif ($immediate | length) > 0 then
          (if any($immediate[]; .relation | IN("son", "daughter", "child")) or $status == "single"
           then "no" else "unknown" end)
        elif $family != null and ($family | length) == 0 then "no"
        # single says there was no spouse; it says nothing of children
        else "unknown" end
    end;

def confided_in_outsiders:
  facts(.contacts) as $c
  | if $c == null then "unknown"
    elif ($c | length) == 0 then "no"
    elif any($c[]; .disclosed == true) then "yes"
    elif any($c[]; .disclosed == null) then "unknown"
    else "no" end;

{
  id: .id,
  under_recall: under_recall,
  under_suspicion: under_suspicion,
  immediate_family_abroad: immediate_family_abroad,
  confided_in_outsiders: confided_in_outsiders
}
