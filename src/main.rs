fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("schema") {
        println!(
            "{}",
            serde_json::to_string_pretty(&casematch::schema()).unwrap()
        );
        return;
    }
    let mut bad = false;
    for doc in casematch::input::documents(casematch::input::resolve(&args[1..])) {
        match doc.text {
            Err(e) => {
                eprintln!("error: {e}");
                bad = true;
            }
            Ok(t) => match casematch::load::parse(&t, &doc.origin) {
                Ok(_) => println!("ok: {}", doc.origin),
                Err(e) => {
                    eprintln!("error: {e}");
                    bad = true;
                }
            },
        }
    }
    std::process::exit(if bad { 2 } else { 0 });
}
