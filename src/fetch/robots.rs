//! robots.txt, read with texting_robots.

/// A site's robots.txt as texting_robots reads it (groups, longest match,
/// `*` and `$` patterns), for our user agent. No robots.txt, or one that
/// cannot be read, allows everything.
#[derive(Default)]
pub struct Robots {
    robot: Option<texting_robots::Robot>,
}

impl Robots {
    pub fn parse(text: &str, user_agent: &str) -> Robots {
        // Groups name the product token ("regwatch"), not the whole header value.
        let agent = user_agent.split('/').next().unwrap_or(user_agent).trim();
        Robots {
            robot: texting_robots::Robot::new(agent, text.as_bytes()).ok(),
        }
    }

    /// Whether `path` (with its query) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        self.robot.as_ref().is_none_or(|r| r.allowed(path))
    }
}
