/// The user an admin command is about, and its remaining words: `/grant 5` inside a user's
/// topic, or `/grant <user id> 5` anywhere in the admin group.
pub fn split_target(args: &str, topic_user: Option<i64>, arity: usize) -> Option<(i64, Vec<&str>)> {
    let words: Vec<&str> = args.split_whitespace().collect();
    if words.len() == arity + 1
        && let Ok(id) = words[0].parse::<i64>()
        && id > 0
    {
        return Some((id, words[1..].to_vec()));
    }
    if words.len() == arity {
        return topic_user.map(|u| (u, words));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_comes_from_the_topic_or_an_explicit_id() {
        assert_eq!(split_target("5", Some(42), 1), Some((42, vec!["5"])));
        assert_eq!(split_target("77 5", Some(42), 1), Some((77, vec!["5"])));
        assert_eq!(split_target("77 5", None, 1), Some((77, vec!["5"])));
        assert_eq!(split_target("5", None, 1), None);
        assert_eq!(split_target("", Some(42), 0), Some((42, vec![])));
        assert_eq!(split_target("x 5", Some(42), 1), None);
        assert_eq!(split_target("-3 5", Some(42), 1), None);
    }
}
