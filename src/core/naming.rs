//! Langflow's answer to a name already taken: `name (1)`, `name (2)`, ... for flows, and
//! `endpoint-1`, `endpoint-2`, ... for endpoint names.

/// `base` itself when free, else `base (n)` with n one more than the highest taken.
pub fn next_free_name(base: &str, taken: &[String]) -> String {
    next_free(base, taken, |n| format!("{base} ({n})"), |rest| rest.strip_prefix(" (")?.strip_suffix(')'))
}

/// `base` itself when free, else `base-n`.
pub fn next_free_endpoint(base: &str, taken: &[String]) -> String {
    next_free(base, taken, |n| format!("{base}-{n}"), |rest| rest.strip_prefix('-'))
}

fn next_free(
    base: &str,
    taken: &[String],
    make: impl Fn(u64) -> String,
    number_of: impl Fn(&str) -> Option<&str>,
) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_string();
    }
    let highest = taken
        .iter()
        .filter_map(|t| t.strip_prefix(base))
        .filter_map(|rest| number_of(rest)?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    make(highest.saturating_add(1))
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
    }
}
