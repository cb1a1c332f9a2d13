//! Countries a local phone number can be read in: ISO 3166-1 alpha-2 code,
//! international calling code and national trunk prefix(es), so that
//! `92555555` in Norway becomes `+4792555555` and `0701234567` in Sweden
//! becomes `+46701234567`.
//!
//! The table holds every country and territory with a calling code of its
//! own (ITU-T E.164 assignments; the trunk prefixes are those of the national
//! numbering plans). Only the prefix is stripped: numbers are not checked
//! against each country's number ranges.

use std::fmt;

use serde::{Serialize, Serializer};

/// A country (or territory) whose national numbers wagate can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country {
    code: &'static str,
    calling_code: u16,
    trunk_prefixes: &'static [&'static str],
}

impl Country {
    /// `NO`, `se` → the country; `None` for anything not in the table.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 2 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let code = text.to_ascii_uppercase();
        let index = COUNTRIES
            .binary_search_by(|(entry, _, _)| (*entry).cmp(code.as_str()))
            .ok()?;
        let (code, calling_code, trunk_prefixes) = COUNTRIES[index];
        Some(Self {
            code,
            calling_code,
            trunk_prefixes,
        })
    }

    /// The ISO 3166-1 alpha-2 code, upper case: `NO`.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// `47` for Norway, `1` for the NANP countries.
    pub fn calling_code(self) -> u16 {
        self.calling_code
    }

    /// The digits of a national number (as dialled inside the country, with
    /// or without its trunk prefix) in international form, without `+`:
    /// `0701234567` in SE → `46701234567`.
    pub fn international_digits(self, national: &str) -> String {
        let national = self
            .trunk_prefixes
            .iter()
            .find_map(|prefix| national.strip_prefix(prefix))
            .unwrap_or(national);
        format!("{}{national}", self.calling_code)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

const NONE: &[&str] = &[];
const ZERO: &[&str] = &["0"];
const ONE: &[&str] = &["1"];
const EIGHT: &[&str] = &["8"];

/// (ISO code, calling code, trunk prefixes tried in order), sorted by code.
#[rustfmt::skip]
const COUNTRIES: &[(&str, u16, &[&str])] = &[
    ("AC", 247, NONE), ("AD", 376, NONE), ("AE", 971, ZERO), ("AF", 93, ZERO),
    ("AG", 1, ONE), ("AI", 1, ONE), ("AL", 355, ZERO), ("AM", 374, ZERO),
    ("AO", 244, NONE), ("AR", 54, ZERO), ("AS", 1, ONE), ("AT", 43, ZERO),
    ("AU", 61, ZERO), ("AW", 297, NONE), ("AX", 358, ZERO), ("AZ", 994, ZERO),
    ("BA", 387, ZERO), ("BB", 1, ONE), ("BD", 880, ZERO), ("BE", 32, ZERO),
    ("BF", 226, NONE), ("BG", 359, ZERO), ("BH", 973, NONE), ("BI", 257, NONE),
    ("BJ", 229, NONE), ("BL", 590, ZERO), ("BM", 1, ONE), ("BN", 673, NONE),
    ("BO", 591, ZERO), ("BQ", 599, NONE), ("BR", 55, ZERO), ("BS", 1, ONE),
    ("BT", 975, NONE), ("BW", 267, NONE), ("BY", 375, &["80", "0"]), ("BZ", 501, NONE),
    ("CA", 1, ONE), ("CC", 61, ZERO), ("CD", 243, ZERO), ("CF", 236, NONE),
    ("CG", 242, NONE), ("CH", 41, ZERO), ("CI", 225, NONE), ("CK", 682, NONE),
    ("CL", 56, NONE), ("CM", 237, NONE), ("CN", 86, ZERO), ("CO", 57, ZERO),
    ("CR", 506, NONE), ("CU", 53, ZERO), ("CV", 238, NONE), ("CW", 599, NONE),
    ("CX", 61, ZERO), ("CY", 357, NONE), ("CZ", 420, NONE), ("DE", 49, ZERO),
    ("DJ", 253, NONE), ("DK", 45, NONE), ("DM", 1, ONE), ("DO", 1, ONE),
    ("DZ", 213, ZERO), ("EC", 593, ZERO), ("EE", 372, NONE), ("EG", 20, ZERO),
    ("EH", 212, ZERO), ("ER", 291, ZERO), ("ES", 34, NONE), ("ET", 251, ZERO),
    ("FI", 358, ZERO), ("FJ", 679, NONE), ("FK", 500, NONE), ("FM", 691, NONE),
    ("FO", 298, NONE), ("FR", 33, ZERO), ("GA", 241, NONE), ("GB", 44, ZERO),
    ("GD", 1, ONE), ("GE", 995, ZERO), ("GF", 594, ZERO), ("GG", 44, ZERO),
    ("GH", 233, ZERO), ("GI", 350, NONE), ("GL", 299, NONE), ("GM", 220, NONE),
    ("GN", 224, NONE), ("GP", 590, ZERO), ("GQ", 240, NONE), ("GR", 30, NONE),
    ("GT", 502, NONE), ("GU", 1, ONE), ("GW", 245, NONE), ("GY", 592, NONE),
    ("HK", 852, NONE), ("HN", 504, NONE), ("HR", 385, ZERO), ("HT", 509, NONE),
    ("HU", 36, &["06"]), ("ID", 62, ZERO), ("IE", 353, ZERO), ("IL", 972, ZERO),
    ("IM", 44, ZERO), ("IN", 91, ZERO), ("IO", 246, NONE), ("IQ", 964, ZERO),
    ("IR", 98, ZERO), ("IS", 354, NONE), ("IT", 39, NONE), ("JE", 44, ZERO),
    ("JM", 1, ONE), ("JO", 962, ZERO), ("JP", 81, ZERO), ("KE", 254, ZERO),
    ("KG", 996, ZERO), ("KH", 855, ZERO), ("KI", 686, ZERO), ("KM", 269, NONE),
    ("KN", 1, ONE), ("KP", 850, ZERO), ("KR", 82, ZERO), ("KW", 965, NONE),
    ("KY", 1, ONE), ("KZ", 7, EIGHT), ("LA", 856, ZERO), ("LB", 961, ZERO),
    ("LC", 1, ONE), ("LI", 423, ZERO), ("LK", 94, ZERO), ("LR", 231, ZERO),
    ("LS", 266, NONE), ("LT", 370, &["0", "8"]), ("LU", 352, NONE), ("LV", 371, NONE),
    ("LY", 218, ZERO), ("MA", 212, ZERO), ("MC", 377, ZERO), ("MD", 373, ZERO),
    ("ME", 382, ZERO), ("MF", 590, ZERO), ("MG", 261, ZERO), ("MH", 692, ONE),
    ("MK", 389, ZERO), ("ML", 223, NONE), ("MM", 95, ZERO), ("MN", 976, ZERO),
    ("MO", 853, NONE), ("MP", 1, ONE), ("MQ", 596, ZERO), ("MR", 222, NONE),
    ("MS", 1, ONE), ("MT", 356, NONE), ("MU", 230, NONE), ("MV", 960, NONE),
    ("MW", 265, ZERO), ("MX", 52, NONE), ("MY", 60, ZERO), ("MZ", 258, NONE),
    ("NA", 264, ZERO), ("NC", 687, NONE), ("NE", 227, NONE), ("NF", 672, NONE),
    ("NG", 234, ZERO), ("NI", 505, NONE), ("NL", 31, ZERO), ("NO", 47, NONE),
    ("NP", 977, ZERO), ("NR", 674, NONE), ("NU", 683, NONE), ("NZ", 64, ZERO),
    ("OM", 968, NONE), ("PA", 507, NONE), ("PE", 51, ZERO), ("PF", 689, NONE),
    ("PG", 675, NONE), ("PH", 63, ZERO), ("PK", 92, ZERO), ("PL", 48, NONE),
    ("PM", 508, ZERO), ("PR", 1, ONE), ("PS", 970, ZERO), ("PT", 351, NONE),
    ("PW", 680, NONE), ("PY", 595, ZERO), ("QA", 974, NONE), ("RE", 262, ZERO),
    ("RO", 40, ZERO), ("RS", 381, ZERO), ("RU", 7, EIGHT), ("RW", 250, ZERO),
    ("SA", 966, ZERO), ("SB", 677, NONE), ("SC", 248, NONE), ("SD", 249, ZERO),
    ("SE", 46, ZERO), ("SG", 65, NONE), ("SH", 290, NONE), ("SI", 386, ZERO),
    ("SJ", 47, NONE), ("SK", 421, ZERO), ("SL", 232, ZERO), ("SM", 378, NONE),
    ("SN", 221, NONE), ("SO", 252, ZERO), ("SR", 597, NONE), ("SS", 211, ZERO),
    ("ST", 239, NONE), ("SV", 503, NONE), ("SX", 1, ONE), ("SY", 963, ZERO),
    ("SZ", 268, NONE), ("TA", 290, NONE), ("TC", 1, ONE), ("TD", 235, NONE),
    ("TG", 228, NONE), ("TH", 66, ZERO), ("TJ", 992, NONE), ("TK", 690, NONE),
    ("TL", 670, NONE), ("TM", 993, EIGHT), ("TN", 216, NONE), ("TO", 676, NONE),
    ("TR", 90, ZERO), ("TT", 1, ONE), ("TV", 688, NONE), ("TW", 886, ZERO),
    ("TZ", 255, ZERO), ("UA", 380, ZERO), ("UG", 256, ZERO), ("US", 1, ONE),
    ("UY", 598, ZERO), ("UZ", 998, NONE), ("VA", 39, NONE), ("VC", 1, ONE),
    ("VE", 58, ZERO), ("VG", 1, ONE), ("VI", 1, ONE), ("VN", 84, ZERO),
    ("VU", 678, NONE), ("WF", 681, NONE), ("WS", 685, NONE), ("XK", 383, ZERO),
    ("YE", 967, ZERO), ("YT", 262, ZERO), ("ZA", 27, ZERO), ("ZM", 260, ZERO),
    ("ZW", 263, ZERO),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_unique() {
        assert!(COUNTRIES.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(COUNTRIES.len() > 240);
    }

    #[test]
    fn codes_parse_in_any_case() {
        let norway = Country::parse("NO").expect("NO");
        assert_eq!((norway.code(), norway.calling_code()), ("NO", 47));
        assert_eq!(Country::parse(" se "), Country::parse("SE"));
        assert_eq!(Country::parse("us").map(Country::calling_code), Some(1));
        for unknown in ["", "N", "NOR", "ZZ", "47", "+47", "N0", "É", "\0\0"] {
            assert_eq!(Country::parse(unknown), None, "{unknown}");
        }
    }
}
