//! Tests for this feature arrive with it.
