//! Langflow's answer to a name already taken: `name (1)`, `name (2)`, ... for flows, and
//! `endpoint-1`, `endpoint-2`, ... for endpoint names.

/// `base` itself when free, else `base (n)` with n one more than the highest taken.
pub fn next_free_name(base: &str, taken: &[String]) -> String {
    match next_number(base, taken, |rest| rest.strip_prefix(" (")?.strip_suffix(')')) {
        Some(n) => format!("{base} ({n})"),
        None => base.to_string(),
    }
}

/// `base` itself when free, else `base-n`.
pub fn next_free_endpoint(base: &str, taken: &[String]) -> String {
    match next_number(base, taken, |rest| rest.strip_prefix('-')) {
        Some(n) => format!("{base}-{n}"),
        None => base.to_string(),
    }
}

/// `None` when `base` is free, else one more than the highest number `number_of` finds after
/// `base` in a taken name. Numbers are compared and incremented as decimal text, without a limit,
/// as Python's `int` does: after `name (18446744073709551615)` comes `name (18446744073709551616)`.
fn next_number(base: &str, taken: &[String], number_of: fn(&str) -> Option<&str>) -> Option<String> {
    if !taken.iter().any(|t| t == base) {
        return None;
    }
    let highest = taken
        .iter()
        .filter_map(|t| number_of(t.strip_prefix(base)?))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map(|n| n.trim_start_matches('0'))
        .max_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
        .unwrap_or_default();
    Some(plus_one(highest))
}

/// A decimal number (digits only, no leading zeros, empty for zero) plus one: the trailing 9s
/// become 0s and the digit before them goes up by one (or a 1 goes in front).
fn plus_one(digits: &str) -> String {
    let head = digits.trim_end_matches('9');
    let nines = digits.len() - head.len();
    let mut out: Vec<u8> = head.bytes().collect();
    match out.last_mut() {
        Some(last) => *last = last.saturating_add(1),
        None => out.push(b'1'),
    }
    out.resize(out.len() + nines, b'0');
    out.into_iter().map(char::from).collect()
}

/// Langflow's rule for project names (they key MCP servers there): no emoji, and at least one
/// letter or digit. `None` when the name is fine, else Langflow's words.
pub fn project_name_problem(name: &str) -> Option<&'static str> {
    let emoji = |c: char| matches!(c, '\u{1f000}'..='\u{1faff}' | '\u{2600}'..='\u{27bf}');
    if name.chars().any(emoji) {
        Some("Project names cannot contain emoji")
    } else if !name.chars().any(|c| c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_whitespace())) {
        Some("Project names must contain at least one letter or number")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn numbers_follow_the_highest_taken() {
        assert_eq!(next_free_name("flow", &names(&[])), "flow");
        assert_eq!(next_free_name("flow", &names(&["other"])), "flow");
        assert_eq!(next_free_name("flow", &names(&["flow"])), "flow (1)");
        assert_eq!(next_free_name("flow", &names(&["flow", "flow (1)"])), "flow (2)");
        assert_eq!(next_free_name("flow", &names(&["flow", "flow (7)", "flow (x)", "flow (2"])), "flow (8)");
        assert_eq!(next_free_endpoint("ep", &names(&["ep", "ep-3"])), "ep-4");
        assert_eq!(next_free_name("flow", &names(&["flow", "flow (009)", "flow (+12)", "flow ()"])), "flow (10)");
        assert_eq!(next_free_name("flow", &names(&["flow", "flow (000)"])), "flow (1)");
    }

    /// Issue 15 bug 5: the number saturated at u64::MAX and a taken name came back (409).
    #[test]
    fn numbers_have_no_upper_limit() {
        let max = u64::MAX.to_string();
        assert_eq!(next_free_name("f", &names(&["f", &format!("f ({max})")])), "f (18446744073709551616)");
        assert_eq!(next_free_endpoint("e", &names(&["e", &format!("e-{max}")])), "e-18446744073709551616");
        let huge = "9".repeat(60);
        assert_eq!(
            next_free_name("f", &names(&["f", &format!("f ({huge})"), "f (7)"])),
            format!("f (1{})", "0".repeat(60))
        );
        assert_eq!(plus_one(""), "1");
        assert_eq!(plus_one("1299"), "1300");
    }

    mod properties {
        use super::super::*;
        use crate::core::test_support::interesting_text;
        use proptest::prelude::*;

        /// Names a user may already have: the base itself, the base with numbers of any size
        /// (digits only or not), and unrelated names.
        fn taken(base: String) -> impl Strategy<Value = (String, Vec<String>)> {
            let number = prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "[0-9]{1,40}", "[+0-9 x]{0,6}"];
            let name = prop_oneof![
                Just(base.clone()),
                number.clone().prop_map({
                    let base = base.clone();
                    move |n| format!("{base} ({n})")
                }),
                number.prop_map({
                    let base = base.clone();
                    move |n| format!("{base}-{n}")
                }),
                interesting_text(12),
            ];
            proptest::collection::vec(name, 0..8).prop_map(move |names| (base.clone(), names))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn the_answer_is_never_taken((base, names) in interesting_text(10).prop_flat_map(taken)) {
                for answer in [next_free_name(&base, &names), next_free_endpoint(&base, &names)] {
                    prop_assert!(!names.contains(&answer), "{:?} is taken: {:?}", answer, names);
                    prop_assert!(answer.starts_with(&base));
                }
            }

            #[test]
            fn plus_one_is_addition(n in 0u128..u128::MAX) {
                let digits = if n == 0 { String::new() } else { n.to_string() };
                prop_assert_eq!(plus_one(&digits), (n + 1).to_string());
            }
        }
    }

    #[test]
    fn project_names_follow_langflow() {
        assert_eq!(project_name_problem("Work 2"), None);
        assert_eq!(project_name_problem("Ünïcode"), None);
        assert_eq!(project_name_problem("a🚀"), Some("Project names cannot contain emoji"));
        assert_eq!(project_name_problem("---"), Some("Project names must contain at least one letter or number"));
        assert_eq!(project_name_problem(""), Some("Project names must contain at least one letter or number"));
    }
}
