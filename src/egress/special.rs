//! Which IP addresses are on the public internet: one table of address
//! blocks, IPv4 and IPv6, after IANA's IPv4 and IPv6 special-purpose address
//! registries (plus multicast, 240.0.0.0/4 and the IPv6 space outside global
//! unicast). The most specific block that holds an address decides, as in a
//! routing table, so an exception sits next to the block it carves out of.
//!
//! Forms that carry an IPv4 address inside IPv6 (IPv4-mapped ::ffff:0:0/96,
//! IPv4-compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo
//! 2001::/32 with its server and inverted client address) are judged by the
//! IPv4 addresses they carry, looked up in the same table: `[::127.0.0.1]`
//! is loopback, `[2002:808:808::]` is as public as 8.8.8.8. The local-use
//! NAT64 prefix 64:ff9b:1::/48 is refused whole: where it carries its IPv4
//! address depends on the prefix length the network chose.
//!
//! Refused although IANA lists them as globally reachable: the anycast
//! service addresses and blocks (PCP 192.0.0.9 and 2001:1::1, TURN
//! 192.0.0.10 and 2001:1::2, DNS-SD SRP 2001:1::3, AMT 192.52.193.0/24 and
//! 2001:3::/32, AS112 192.31.196.0/24, 192.175.48.0/24, 2001:4:112::/48 and
//! 2620:4f:8000::/48), whose nearest instance may sit in the operator's own
//! network, and the ORCHIDv2 2001:20::/28 and drone remote ID 2001:30::/28
//! identifiers; none of them serves HTTP callbacks. Only Teredo is carved
//! out of 2001::/23.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use Reach::{Carries, Global, Refused};

/// What a block says about the addresses it holds.
#[derive(Debug, Clone, Copy)]
enum Reach {
    /// On the public internet.
    Global,
    /// Not on the public internet.
    Refused,
    /// As reachable as every IPv4 address it carries.
    Carries(&'static [Carried]),
}

/// Where an IPv6 address carries an IPv4 one.
#[derive(Debug)]
struct Carried {
    /// Bits right of the IPv4 address.
    shift: u32,
    /// Stored with every bit inverted (Teredo's client address).
    inverted: bool,
}

/// The IPv4 address in the last 32 bits (mapped, compatible, NAT64).
const LAST_32: &[Carried] = &[Carried {
    shift: 0,
    inverted: false,
}];
/// 6to4: `2002:AABB:CCDD::` carries `A.B.C.D` after its 16-bit prefix.
const SIX_TO_FOUR: &[Carried] = &[Carried {
    shift: 80,
    inverted: false,
}];
/// Teredo: the server after the 32-bit prefix, the client inverted in the
/// last 32 bits.
const TEREDO: &[Carried] = &[
    Carried {
        shift: 64,
        inverted: false,
    },
    Carried {
        shift: 0,
        inverted: true,
    },
];

/// An address block, `network/prefix`, and what it says about its
/// addresses.
#[derive(Debug)]
pub struct Block {
    network: IpAddr,
    prefix: u8,
    name: &'static str,
    reach: Reach,
}

const fn v4(octets: [u8; 4], prefix: u8, name: &'static str, reach: Reach) -> Block {
    let [a, b, c, d] = octets;
    Block {
        network: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        prefix,
        name,
        reach,
    }
}

const fn v6(segments: [u16; 8], prefix: u8, name: &'static str, reach: Reach) -> Block {
    let [a, b, c, d, e, f, g, h] = segments;
    Block {
        network: IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h)),
        prefix,
        name,
        reach,
    }
}

/// Every block; each address is judged by the longest prefix holding it.
#[rustfmt::skip]
const BLOCKS: &[Block] = &[
    v4([0, 0, 0, 0],         0,   "IPv4 unicast",              Global),
    v4([0, 0, 0, 0],         8,   "\"this network\"",          Refused),
    v4([10, 0, 0, 0],        8,   "private use",               Refused),
    v4([100, 64, 0, 0],      10,  "shared address space",      Refused),
    v4([127, 0, 0, 0],       8,   "loopback",                  Refused),
    v4([169, 254, 0, 0],     16,  "link-local",                Refused),
    v4([172, 16, 0, 0],      12,  "private use",               Refused),
    v4([192, 0, 0, 0],       24,  "IETF protocol assignments", Refused),
    v4([192, 0, 2, 0],       24,  "documentation",             Refused),
    v4([192, 31, 196, 0],    24,  "AS112 anycast",             Refused),
    v4([192, 52, 193, 0],    24,  "AMT anycast",               Refused),
    v4([192, 88, 99, 0],     24,  "6to4 relay anycast",        Refused),
    v4([192, 168, 0, 0],     16,  "private use",               Refused),
    v4([192, 175, 48, 0],    24,  "AS112 anycast",             Refused),
    v4([198, 18, 0, 0],      15,  "benchmarking",              Refused),
    v4([198, 51, 100, 0],    24,  "documentation",             Refused),
    v4([203, 0, 113, 0],     24,  "documentation",             Refused),
    v4([224, 0, 0, 0],       4,   "multicast",                 Refused),
    v4([240, 0, 0, 0],       4,   "reserved",                  Refused),
    v4([255, 255, 255, 255], 32,  "limited broadcast",         Refused),
    v6([0; 8],                                0,   "outside global unicast",    Refused),
    v6([0; 8],                                128, "unspecified",               Refused),
    v6([0, 0, 0, 0, 0, 0, 0, 1],              128, "loopback",                  Refused),
    v6([0; 8],                                96,  "IPv4-compatible",           Carries(LAST_32)),
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0],         96,  "IPv4-mapped",               Carries(LAST_32)),
    v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0],      96,  "NAT64",                     Carries(LAST_32)),
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0],      48,  "local-use NAT64",           Refused),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0],          64,  "discard-only",              Refused),
    v6([0x100, 0, 0, 1, 0, 0, 0, 0],          64,  "dummy prefix",              Refused),
    v6([0x2000, 0, 0, 0, 0, 0, 0, 0],         3,   "global unicast",            Global),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0],         23,  "IETF protocol assignments", Refused),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0],         32,  "Teredo",                    Carries(TEREDO)),
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],     32,  "documentation",             Refused),
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0],         16,  "6to4",                      Carries(SIX_TO_FOUR)),
    v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48,  "AS112 anycast",             Refused),
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0],         20,  "documentation",             Refused),
    v6([0x5f00, 0, 0, 0, 0, 0, 0, 0],         16,  "SRv6 SIDs",                 Refused),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0],         7,   "unique local",              Refused),
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0],         10,  "link-local",                Refused),
    v6([0xfec0, 0, 0, 0, 0, 0, 0, 0],         10,  "site-local",                Refused),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0],         8,   "multicast",                 Refused),
];

/// Where an address no block holds would fall.
const UNLISTED: Block = v6([0; 8], 0, "not listed", Refused);

impl Block {
    /// The address as 128 bits, IPv4 in the top 32 (so that one prefix
    /// comparison serves both families); `None` for the other family.
    fn bits_of(&self, address: IpAddr) -> Option<(u128, u128)> {
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => Some((
                u128::from(network.to_bits()) << 96,
                u128::from(address.to_bits()) << 96,
            )),
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                Some((network.to_bits(), address.to_bits()))
            }
            _ => None,
        }
    }

    fn holds(&self, address: IpAddr) -> bool {
        self.bits_of(address).is_some_and(|(network, address)| {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(self.prefix))
                .unwrap_or(0);
            (network ^ address) & mask == 0
        })
    }

    /// The most specific block holding `address` (every address has one:
    /// each family has its /0; were one missing, the address is refused).
    fn of(address: IpAddr) -> &'static Block {
        BLOCKS
            .iter()
            .filter(|block| block.holds(address))
            .max_by_key(|block| block.prefix)
            .unwrap_or(&UNLISTED)
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ({})", self.network, self.prefix, self.name)
    }
}

/// Why an address is not public.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The block that refuses the address (or the IPv4 address it carries).
    pub block: &'static Block,
    /// The IPv6 block that carries the refused IPv4 address, and that address.
    pub carried_by: Option<(&'static Block, Ipv4Addr)>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((carrier, carried)) = self.carried_by {
            write!(f, "{carrier} carries {carried}, ")?;
        }
        write!(f, "in {}", self.block)
    }
}

/// Why `address` is not on the public internet, or `None` when it is.
pub fn refusal(address: IpAddr) -> Option<Refusal> {
    let block = Block::of(address);
    match (block.reach, address) {
        (Global, _) => None,
        (Refused, _) => Some(Refusal {
            block,
            carried_by: None,
        }),
        (Carries(places), IpAddr::V6(v6)) => places.iter().find_map(|place| {
            let carried = carried(v6, place);
            refusal(IpAddr::V4(carried)).map(|inner| Refusal {
                block: inner.block,
                carried_by: Some((block, carried)),
            })
        }),
        // No IPv4 block carries addresses; were one to, refuse.
        (Carries(_), IpAddr::V4(_)) => Some(Refusal {
            block,
            carried_by: None,
        }),
    }
}

/// Whether `address` is on the public internet.
pub fn is_public(address: IpAddr) -> bool {
    refusal(address).is_none()
}

fn carried(address: Ipv6Addr, place: &Carried) -> Ipv4Addr {
    // The 32 bits at `place`; the cast keeps exactly those.
    let bits = (address.to_bits() >> place.shift) as u32;
    Ipv4Addr::from_bits(if place.inverted { !bits } else { bits })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    /// Addresses that must be refused, with the block that refuses them
    /// (the carried IPv4 address's block for the forms that carry one).
    /// Pure lookups: nothing here is ever connected to.
    const REFUSED: &[(&str, &str)] = &[
        // The forms issue 10 found accepted.
        ("::127.0.0.1", "127.0.0.0/8"),
        ("64:ff9b::7f00:1", "127.0.0.0/8"),
        ("2002:7f00:1::", "127.0.0.0/8"),
        ("192.0.0.8", "192.0.0.0/24"),
        // IPv4 special-purpose blocks.
        ("0.0.0.0", "0.0.0.0/8"),
        ("0.1.2.3", "0.0.0.0/8"),
        ("10.1.2.3", "10.0.0.0/8"),
        ("100.64.0.1", "100.64.0.0/10"),
        ("100.127.255.254", "100.64.0.0/10"),
        ("127.0.0.1", "127.0.0.0/8"),
        ("127.255.255.254", "127.0.0.0/8"),
        ("169.254.169.254", "169.254.0.0/16"),
        ("172.16.0.1", "172.16.0.0/12"),
        ("172.31.255.1", "172.16.0.0/12"),
        ("192.0.0.9", "192.0.0.0/24"),
        ("192.0.0.170", "192.0.0.0/24"),
        ("192.0.2.1", "192.0.2.0/24"),
        ("192.31.196.1", "192.31.196.0/24"),
        ("192.52.193.1", "192.52.193.0/24"),
        ("192.88.99.1", "192.88.99.0/24"),
        ("192.168.1.1", "192.168.0.0/16"),
        ("192.175.48.6", "192.175.48.0/24"),
        ("198.18.0.1", "198.18.0.0/15"),
        ("198.19.255.1", "198.18.0.0/15"),
        ("198.51.100.7", "198.51.100.0/24"),
        ("203.0.113.9", "203.0.113.0/24"),
        ("224.0.0.1", "224.0.0.0/4"),
        ("239.255.255.250", "224.0.0.0/4"),
        ("240.0.0.1", "240.0.0.0/4"),
        ("255.255.255.254", "240.0.0.0/4"),
        ("255.255.255.255", "255.255.255.255/32"),
        // IPv6 special-purpose blocks.
        ("::", "::/128"),
        ("::1", "::1/128"),
        ("fc00::1", "fc00::/7"),
        ("fd12:3456::1", "fc00::/7"),
        ("fe80::1", "fe80::/10"),
        ("febf::1", "fe80::/10"),
        ("fec0::1", "fec0::/10"),
        ("ff02::1", "ff00::/8"),
        ("ff0e::1", "ff00::/8"),
        ("100::1", "100::/64"),
        ("100:0:0:1::1", "100:0:0:1::/64"),
        ("2001:db8::1", "2001:db8::/32"),
        ("2001:1::1", "2001::/23"),
        ("2001:1::2", "2001::/23"),
        ("2001:2::1", "2001::/23"),
        ("2001:3::1", "2001::/23"),
        ("2001:4:112::1", "2001::/23"),
        ("2001:10::1", "2001::/23"),
        ("2001:20::1", "2001::/23"),
        ("2001:30::1", "2001::/23"),
        ("2001:1ff::1", "2001::/23"),
        ("2620:4f:8000::42", "2620:4f:8000::/48"),
        ("3fff::1", "3fff::/20"),
        ("3fff:fff::1", "3fff::/20"),
        ("5f00::1", "5f00::/16"),
        ("64:ff9b:1::808:808", "64:ff9b:1::/48"),
        ("64:ff9b:1:ffff::1", "64:ff9b:1::/48"),
        // Outside global unicast 2000::/3.
        ("4000::1", "::/0"),
        ("::1:0:0:1", "::/0"),
        ("1::1", "::/0"),
        // IPv4 carried inside IPv6, judged by what it carries.
        ("::ffff:127.0.0.1", "127.0.0.0/8"),
        ("::ffff:10.0.0.1", "10.0.0.0/8"),
        ("::ffff:192.0.0.8", "192.0.0.0/24"),
        ("::10.0.0.1", "10.0.0.0/8"),
        ("::169.254.169.254", "169.254.0.0/16"),
        ("::0.0.0.2", "0.0.0.0/8"),
        ("64:ff9b::a9fe:a9fe", "169.254.0.0/16"),
        ("64:ff9b::c0a8:101", "192.168.0.0/16"),
        ("2002:a00:1::1", "10.0.0.0/8"),
        ("2002:c0a8:101:1::1", "192.168.0.0/16"),
        ("2002:a9fe:a9fe::", "169.254.0.0/16"),
        // Teredo: client 127.0.0.1 (inverted 80ff:fffe), server public.
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.0/8"),
        // Teredo: client 10.0.0.1 (inverted f5ff:fffe).
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "10.0.0.0/8"),
        // Teredo: a private server, a public client (8.8.8.8 inverted).
        ("2001:0:a00:1:8000:63bf:f7f7:f7f7", "10.0.0.0/8"),
    ];

    /// Public addresses, among them each form carrying a public IPv4 one.
    const PUBLIC: &[&str] = &[
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "100.63.255.255",
        "100.128.0.1",
        "172.32.0.1",
        "192.0.1.1",
        "198.17.255.255",
        "198.20.0.1",
        "223.255.255.254",
        "2606:4700::1111",
        "2a00:1450:4001::200e",
        "2001:200::1",
        "2001:db9::1",
        "::ffff:1.1.1.1",
        "::8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
        "2002:5db8:d822::",
        // Teredo: server 65.54.227.120, client 8.8.8.8 (inverted f7f7:f7f7).
        "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
    ];

    #[test]
    fn special_purpose_addresses_are_refused_by_their_block() {
        for (text, block) in REFUSED {
            let reason = refusal(address(text)).unwrap_or_else(|| panic!("{text} is public"));
            let network = format!("{}/{}", reason.block.network, reason.block.prefix);
            assert_eq!(&network, block, "{text}: {reason}");
            assert!(!is_public(address(text)), "{text}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for text in PUBLIC {
            assert!(
                is_public(address(text)),
                "{text}: {}",
                refusal(address(text))
                    .map(|r| r.to_string())
                    .unwrap_or_default()
            );
        }
    }

    #[test]
    fn a_refusal_names_the_carrier_and_the_carried_address() {
        let reason = refusal(address("2002:7f00:1::")).expect("refused");
        assert_eq!(
            reason.to_string(),
            "2002::/16 (6to4) carries 127.0.0.1, in 127.0.0.0/8 (loopback)"
        );
        let reason = refusal(address("192.0.0.8")).expect("refused");
        assert_eq!(
            reason.to_string(),
            "in 192.0.0.0/24 (IETF protocol assignments)"
        );
    }

    #[test]
    fn every_block_is_a_network_address_and_each_family_is_covered() {
        for block in BLOCKS {
            let width = if block.network.is_ipv4() { 32 } else { 128 };
            assert!(block.prefix <= width, "{block}");
            let host_bits = block
                .bits_of(block.network)
                .map(|(network, _)| network.checked_shl(u32::from(block.prefix)).unwrap_or(0));
            assert_eq!(host_bits, Some(0), "{block} has host bits set");
        }
        for family in ["0.0.0.0", "::"] {
            assert!(
                BLOCKS
                    .iter()
                    .any(|block| block.prefix == 0 && block.holds(address(family))),
                "{family} has no /0"
            );
        }
    }
}
