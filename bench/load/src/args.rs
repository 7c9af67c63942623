//! Command-line options: `--name value` or `--name=value`, each at most once. Every number has
//! a range, which is what bounds a run in count and time; an option a subcommand does not know
//! is an error rather than silently ignored.

use std::{collections::BTreeMap, fmt::Display, ops::RangeInclusive, str::FromStr};

use crate::Fallible;

/// The options of one invocation; each getter takes its option out.
pub struct Args(BTreeMap<String, String>);

impl Args {
    /// Reads `--name value` pairs.
    pub fn parse(argv: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        let mut argv = argv.peekable();
        while let Some(arg) = argv.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?}"));
            };
            let (name, value) = match flag.split_once('=') {
                Some((name, value)) => (name.to_string(), value.to_string()),
                None => {
                    let value = argv
                        .next()
                        .ok_or_else(|| format!("--{flag} needs a value"))?;
                    (flag.to_string(), value)
                }
            };
            if map.insert(name.clone(), value).is_some() {
                return Err(format!("--{name} given twice"));
            }
        }
        Ok(Args(map))
    }

    /// A required text option.
    pub fn text(&mut self, name: &str) -> Fallible<String> {
        self.0
            .remove(name)
            .ok_or_else(|| format!("--{name} is required").into())
    }

    /// A number within `range`, `default` when absent.
    pub fn number<T>(&mut self, name: &str, default: T, range: RangeInclusive<T>) -> Fallible<T>
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        Ok(self.optional_number(name, range)?.unwrap_or(default))
    }

    /// A number within `range`, if given.
    pub fn optional_number<T>(
        &mut self,
        name: &str,
        range: RangeInclusive<T>,
    ) -> Fallible<Option<T>>
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        let Some(raw) = self.0.remove(name) else {
            return Ok(None);
        };
        let value: T = raw
            .parse()
            .map_err(|_| format!("--{name} {raw:?} is not a number"))?;
        if !range.contains(&value) {
            return Err(format!(
                "--{name} {value} is outside {}..={}",
                range.start(),
                range.end()
            )
            .into());
        }
        Ok(Some(value))
    }

    /// Fails if an option was given that nothing took.
    pub fn finish(self) -> Fallible<()> {
        match self.0.keys().next() {
            Some(name) => Err(format!("unknown option --{name}").into()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args {
        Args::parse(list.iter().map(|s| s.to_string())).unwrap()
    }

    #[test]
    fn both_spellings_read_and_ranges_bound_the_numbers() {
        let mut a = args(&["--files", "10", "--concurrency=4"]);
        assert_eq!(a.number("files", 1, 1..=100).unwrap(), 10);
        assert_eq!(a.number("concurrency", 16, 1..=64).unwrap(), 4);
        assert_eq!(a.number("seconds", 25, 1..=60).unwrap(), 25);
        a.finish().unwrap();
        assert!(args(&["--files", "101"])
            .number("files", 1, 1..=100)
            .is_err());
    }

    #[test]
    fn an_option_nothing_takes_is_an_error() {
        let mut a = args(&["--user", "x", "--typo", "1"]);
        assert_eq!(a.text("user").unwrap(), "x");
        assert!(a.finish().is_err());
        assert!(Args::parse(["--files".to_string()].into_iter()).is_err());
    }
}
