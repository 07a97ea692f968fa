//! CPython's Mersenne Twister, only as far as Langflow's pre-1.10.1 key derivation needs it:
//! `random.Random(secret)` followed by `getrandbits(8)`. Never use it for anything secret.

use sha2::{Digest, Sha512};

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

pub struct Mt19937 {
    state: State,
    index: usize,
}

/// The 624 words; positions are taken modulo N, so no access can fall outside.
struct State([u32; N]);

impl State {
    fn at(&self, i: usize) -> u32 {
        self.0.get(i % N).copied().unwrap_or_default()
    }

    fn set(&mut self, i: usize, value: u32) {
        if let Some(word) = self.0.get_mut(i % N) {
            *word = value;
        }
    }
}

impl Mt19937 {
    /// `random.Random(seed)` for a `str` seed (seed version 2): the integer
    /// `int.from_bytes(utf8 + sha512(utf8), 'big')`, fed to `init_by_array` as 32-bit words,
    /// least significant first, with leading zero words dropped as CPython does.
    pub fn from_str_seed(seed: &str) -> Self {
        let mut bytes = seed.as_bytes().to_vec();
        bytes.extend_from_slice(&Sha512::digest(seed.as_bytes()));
        let significant = bytes.iter().position(|&b| b != 0).and_then(|i| bytes.get(i..)).unwrap_or_default();
        let mut key: Vec<u32> =
            significant.rchunks(4).map(|chunk| chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))).collect();
        if key.is_empty() {
            key.push(0);
        }
        Self::from_key(&key)
    }

    /// CPython's `init_by_array`.
    fn from_key(key: &[u32]) -> Self {
        let mut mt = State([0u32; N]);
        mt.set(0, 19_650_218);
        for i in 1..N {
            let prev = mt.at(i - 1);
            mt.set(i, 1_812_433_253u32.wrapping_mul(prev ^ (prev >> 30)).wrapping_add(i as u32));
        }
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let prev = mt.at(i - 1);
            let k = key.get(j).copied().unwrap_or(0);
            mt.set(
                i,
                (mt.at(i) ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525)).wrapping_add(k).wrapping_add(j as u32),
            );
            i += 1;
            j += 1;
            if i >= N {
                mt.set(0, mt.at(N - 1));
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt.at(i - 1);
            mt.set(i, (mt.at(i) ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32));
            i += 1;
            if i >= N {
                mt.set(0, mt.at(N - 1));
                i = 1;
            }
        }
        mt.set(0, 0x8000_0000);
        Self { state: mt, index: N }
    }

    /// CPython's `genrand_uint32`.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            let mt = &mut self.state;
            for kk in 0..N {
                let y = (mt.at(kk) & UPPER_MASK) | (mt.at(kk + 1) & LOWER_MASK);
                let mag = if y & 1 == 0 { 0 } else { MATRIX_A };
                mt.set(kk, mt.at(kk + M) ^ (y >> 1) ^ mag);
            }
            self.index = 0;
        }
        let mut y = self.state.at(self.index);
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `getrandbits(8)`: CPython keeps the top bits of one 32-bit output.
    pub fn getrandbits8(&mut self) -> u8 {
        (self.next_u32() >> 24) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(seed: &str, n: usize) -> Vec<u8> {
        let mut mt = Mt19937::from_str_seed(seed);
        (0..n).map(|_| mt.getrandbits8()).collect()
    }

    #[test]
    fn matches_cpython() {
        use base64::Engine;
        // Checked with CPython 3.11: urlsafe_b64encode(bytes(Random(s).getrandbits(8) for _ in range(32)))
        for (seed, key) in [
            ("langflow", "R-KBaWyIbRcHX_NjyOIUCW0JjZFvVVJntidEFekl8VA="),
            ("shortkey123", "qeA9wdDv6i0_4s4YpmYkg7mByqBIVqF5L8On7wINNmo="),
            ("", "9XSYNGPdu8A421fGnwH3maFTXdwMdWNOMdErgkRkqQY="),
            ("\0ab", "AdH5CdYLa3eZJ6HQVBBBFrD2P-vyW07GgWrOhsljJ28="),
        ] {
            let got = base64::engine::general_purpose::URL_SAFE.encode(bytes(seed, 32));
            assert_eq!(got, key, "seed {seed:?}");
        }
    }

    #[test]
    fn survives_state_regeneration() {
        // More than 624 outputs forces a second twist.
        assert_eq!(bytes("x", 2000).len(), 2000);
    }
}
