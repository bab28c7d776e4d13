//! Session settings of a client tool's connections, passed as `PGOPTIONS` (`-c name=value`):
//! libpq applies them to every connection the tool opens, `pg_restore -j`'s workers included,
//! and they never reach a command line.
//!
//! Values are built here from validated types only ([`MemorySize`], integers, fixed words), so
//! no operator-supplied text can add a space and smuggle another option into `PGOPTIONS`.

use std::fmt;
use std::str::FromStr;

/// An amount of server memory as PostgreSQL spells it (`256MB`, `1GB`, `65536kB`; a bare
/// number is kB, as for `maintenance_work_mem`), validated against that setting's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemorySize {
    kib: u64,
}

impl MemorySize {
    /// PostgreSQL's smallest `maintenance_work_mem`: 1 MB.
    pub const MIN_KIB: u64 = 1024;
    /// Its largest: `INT_MAX` kB (just under 2 TB).
    pub const MAX_KIB: u64 = i32::MAX as u64;

    /// `mib` megabytes (for defaults; the caller keeps it in range).
    pub const fn from_mib(mib: u64) -> Self {
        Self { kib: mib * 1024 }
    }

    /// The size in kB.
    pub fn kib(self) -> u64 {
        self.kib
    }
}

impl FromStr for MemorySize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{s:?} is not an amount of memory like 256MB or 1GB \
                 (a whole number with kB, MB, GB or TB; PostgreSQL's spelling)"
            )
        };
        let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (number, unit) = s.split_at(digits);
        let number: u64 = number.parse().map_err(|_| bad())?;
        // Units are case-sensitive in PostgreSQL (`mb` is refused by the server too).
        let per_unit: u64 = match unit {
            "" | "kB" => 1,
            "MB" => 1024,
            "GB" => 1024 * 1024,
            "TB" => 1024 * 1024 * 1024,
            _ => return Err(bad()),
        };
        let kib = number.checked_mul(per_unit).ok_or_else(bad)?;
        if !(Self::MIN_KIB..=Self::MAX_KIB).contains(&kib) {
            return Err(format!(
                "{s:?} is out of range: maintenance_work_mem takes 1MB up to 2147483647kB"
            ));
        }
        Ok(Self { kib })
    }
}

impl fmt::Display for MemorySize {
    /// The largest whole unit: `256MB`, `1GB`, `1536kB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.kib;
        for (unit, per) in [("TB", 1u64 << 30), ("GB", 1 << 20), ("MB", 1 << 10)] {
            if k.is_multiple_of(per) {
                return write!(f, "{}{unit}", k / per);
            }
        }
        write!(f, "{k}kB")
    }
}

/// Session settings as the value of `PGOPTIONS`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSettings(Vec<(&'static str, String)>);

impl SessionSettings {
    /// Adds `name = value`; the value comes from a validated type (see the module header).
    pub fn set(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.0.push((name, value.to_string()));
        self
    }

    /// `-c name=value -c …`, or `None` when there is nothing to set.
    pub fn pgoptions(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|(name, value)| format!("-c {name}={value}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_are_read_as_postgresql_spells_them() {
        let kib = |s: &str| s.parse::<MemorySize>().map(MemorySize::kib);
        assert_eq!(kib("256MB"), Ok(256 * 1024));
        assert_eq!(kib("1GB"), Ok(1024 * 1024));
        assert_eq!(kib("65536kB"), Ok(65536));
        assert_eq!(kib("65536"), Ok(65536));
        for bad in [
            "",
            "MB",
            "256mb",
            "256 MB",
            " 256MB",
            "1.5GB",
            "-1MB",
            "256MB -c x=y",
            "512kB",
            "2TB",
            "99999999999999999999GB",
        ] {
            assert!(kib(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_memory_size_prints_in_its_largest_whole_unit() {
        let show = |s: &str| s.parse::<MemorySize>().unwrap().to_string();
        assert_eq!(show("262144kB"), "256MB");
        assert_eq!(show("1024MB"), "1GB");
        assert_eq!(show("1536kB"), "1536kB");
        assert_eq!(MemorySize::from_mib(256).to_string(), "256MB");
    }

    #[test]
    fn settings_become_one_pgoptions_value() {
        assert_eq!(SessionSettings::default().pgoptions(), None);
        let s = SessionSettings::default()
            .set("maintenance_work_mem", MemorySize::from_mib(256))
            .set("synchronous_commit", "off");
        assert_eq!(
            s.pgoptions().as_deref(),
            Some("-c maintenance_work_mem=256MB -c synchronous_commit=off")
        );
    }
}
