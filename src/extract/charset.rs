//! Bytes → text, after the browser order of the HTML Standard ("determining the character
//! encoding"), with two corrections for pages whose declaration does not match their bytes.
//! Labels are resolved with the WHATWG Encoding Standard table (`encoding_rs`), so
//! `iso-8859-1` means windows-1252. The full order is documented on [`decode`].

use encoding_rs::Encoding;
use serde::Serialize;

/// Which step of the precedence chain chose the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodingSource {
    /// A byte-order mark at the start of the body.
    Bom,
    /// The `charset` parameter of the HTTP `Content-Type` header.
    Header,
    /// A `<meta charset>` or `<meta http-equiv=Content-Type>` in the first 1024 bytes.
    Meta,
    /// No usable declaration, or one the bytes contradict: UTF-8 because the bytes are valid
    /// UTF-8, UTF-16 recognised by its zero bytes, or chardetng's statistical guess.
    Guess,
}

/// Decoded text and how its encoding was chosen.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text, BOM removed; malformed sequences replaced by U+FFFD.
    pub text: String,
    /// The encoding used (WHATWG name, e.g. `windows-1252`).
    pub encoding: &'static Encoding,
    /// Which step chose it.
    pub source: EncodingSource,
}

/// Decodes `body` given the HTTP `Content-Type` header value (if any).
///
/// The encoding is chosen in this order (the first that applies wins):
///
/// 1. a byte order mark (UTF-8, UTF-16LE/BE) — authoritative, removed from the text;
/// 2. the `charset` of the HTTP `Content-Type` header;
/// 3. UTF-16 without a BOM, recognised by its zero bytes;
/// 4. a `<meta charset>` / `<meta http-equiv=Content-Type>` in the first 1024 bytes;
/// 5. UTF-8 if the bytes are valid UTF-8;
/// 6. chardetng's guess.
///
/// A declaration (steps 2 and 4) is checked against the bytes, because pages copied by content
/// farms often keep a wrong one:
///
/// - a **single-byte legacy** encoding (windows-1252, ISO-8859-x, KOI8, …) declared on bytes
///   that are valid UTF-8 and contain non-ASCII is overridden: the page is decoded as UTF-8
///   (source [`EncodingSource::Guess`]). Text in a single-byte encoding is practically never
///   valid UTF-8 (every non-ASCII letter would have to be followed by 0x80–0xBF bytes);
///   trafilatura likewise tries UTF-8 first. A multi-byte sequence cut off by the end of
///   the body (a truncated download) does not count against validity.
/// - **UTF-8** declared on bytes that are not valid UTF-8 falls back to chardetng's guess
///   (source [`EncodingSource::Guess`]) when the invalid sequences outnumber the valid non-ASCII
///   characters (most non-ASCII text would otherwise become U+FFFD); a UTF-8 page with a few
///   stray bytes stays UTF-8.
///
/// Multi-byte legacy declarations (Shift_JIS, EUC-KR, GBK, …) and UTF-16 from a header are
/// taken as declared. Never fails: malformed sequences become U+FFFD.
pub fn decode(body: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some((enc, bom_len)) = Encoding::for_bom(body) {
        let (text, _) = enc.decode_without_bom_handling(&body[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            encoding: enc,
            source: EncodingSource::Bom,
        };
    }
    let (enc, source) = if let Some(enc) = content_type.and_then(charset_from_content_type) {
        check_declared(body, enc, EncodingSource::Header)
    } else if let Some(enc) = utf16_without_bom(body) {
        (enc, EncodingSource::Guess)
    } else if let Some(enc) = meta_prescan(body) {
        check_declared(body, enc, EncodingSource::Meta)
    } else if std::str::from_utf8(body).is_ok() || utf8_with_non_ascii(body) {
        // chardetng answers UTF-8 for valid UTF-8 when UTF-8 detection is allowed; checking
        // validity first gives the same answer without running its statistics.
        (encoding_rs::UTF_8, EncodingSource::Guess)
    } else {
        (chardetng_guess(body), EncodingSource::Guess)
    };
    let (text, had_errors) = enc.decode_without_bom_handling(body);
    // Declared UTF-8 on bytes that are not: checked only when decoding found malformed
    // sequences, so valid pages (nearly all) pay no second pass.
    if had_errors
        && enc == encoding_rs::UTF_8
        && matches!(source, EncodingSource::Header | EncodingSource::Meta)
        && mostly_invalid_utf8(body)
    {
        let guess = chardetng_guess(body);
        let (text, _) = guess.decode_without_bom_handling(body);
        return Decoded {
            text: text.into_owned(),
            encoding: guess,
            source: EncodingSource::Guess,
        };
    }
    Decoded {
        text: text.into_owned(),
        encoding: enc,
        source,
    }
}

/// The declared single-byte encoding `enc`, or UTF-8 when the bytes are valid UTF-8 with
/// non-ASCII in them (see [`decode`]; declared UTF-8 is checked after decoding).
fn check_declared(
    body: &[u8],
    enc: &'static Encoding,
    source: EncodingSource,
) -> (&'static Encoding, EncodingSource) {
    if enc.is_single_byte() && utf8_with_non_ascii(body) {
        return (encoding_rs::UTF_8, EncodingSource::Guess);
    }
    (enc, source)
}

/// Whether the maximal invalid UTF-8 sequences in `body` outnumber its valid non-ASCII
/// characters (most of its non-ASCII text would become U+FFFD as UTF-8).
fn mostly_invalid_utf8(body: &[u8]) -> bool {
    let (mut valid_non_ascii, mut invalid) = (0usize, 0usize);
    for chunk in body.utf8_chunks() {
        // Lead bytes of multi-byte characters: one per non-ASCII character.
        valid_non_ascii += chunk.valid().bytes().filter(|b| *b >= 0xC0).count();
        if !chunk.invalid().is_empty() {
            invalid += 1;
        }
    }
    invalid > valid_non_ascii
}

/// Whether `body` is valid UTF-8 holding at least one non-ASCII character, ignoring an
/// incomplete multi-byte sequence at its very end (a body cut at a size limit; the character
/// must then be found before the cut).
fn utf8_with_non_ascii(body: &[u8]) -> bool {
    let valid = match std::str::from_utf8(body) {
        Ok(_) => body.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => return false,
    };
    !body[..valid].is_ascii()
}

/// chardetng's guess for the whole body (ISO-2022-JP detection off, UTF-8 allowed).
fn chardetng_guess(body: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(body, true);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

/// UTF-16 without a byte order mark, recognised by its zero bytes: markup is mostly ASCII, so in
/// UTF-16LE nearly every odd byte of the first 1 KiB is 0 and the even bytes are not (the
/// reverse in UTF-16BE). Neither chardetng nor the `<meta>` prescan can see it (the prescan
/// reads ASCII bytes), and read as UTF-8 the page has a NUL after every character, so no tag
/// parses. `None` unless at least 3/4 of the pairs have their zero on one side only.
fn utf16_without_bom(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(1024) & !1];
    if head.len() < 8 {
        return None;
    }
    let pairs = head.len() / 2;
    let (mut le, mut be) = (0usize, 0usize);
    for p in head.chunks_exact(2) {
        match (p[0] == 0, p[1] == 0) {
            (false, true) => le += 1,
            (true, false) => be += 1,
            _ => {}
        }
    }
    if le * 4 >= pairs * 3 {
        Some(encoding_rs::UTF_16LE)
    } else if be * 4 >= pairs * 3 {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// The encoding named by a `Content-Type` value's `charset` parameter, if it is a known label.
/// UTF-16 labels from `<meta>` are mapped to UTF-8 per the HTML Standard; from headers they are
/// kept.
pub fn charset_from_content_type(ct: &str) -> Option<&'static Encoding> {
    let lower = ct.to_ascii_lowercase();
    let idx = lower.find("charset")?;
    let rest = lower[idx + "charset".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| c == ';' || c == '"' || c == '\'' || c.is_whitespace())
        .unwrap_or(rest.len());
    Encoding::for_label(&rest.as_bytes()[..end])
}

/// Prescan of the first 1024 bytes for `<meta charset=…>` or
/// `<meta http-equiv="content-type" content="…charset=…">` (simplified HTML Standard
/// prescan: comments are skipped, attribute values may be quoted or not).
pub fn meta_prescan(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(1024)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let mut i = 0;
    while i < lower.len() {
        if lower[i..].starts_with(b"<!--") {
            match find(&lower[i + 4..], b"-->") {
                Some(p) => i += 4 + p + 3,
                None => return None,
            }
            continue;
        }
        if lower[i..].starts_with(b"<meta")
            && lower
                .get(i + 5)
                .is_some_and(|c| c.is_ascii_whitespace() || *c == b'/')
        {
            let end = find(&lower[i..], b">")
                .map(|p| i + p)
                .unwrap_or(lower.len());
            let tag = &lower[i + 5..end];
            let tag_str = String::from_utf8_lossy(tag);
            if let Some(v) = attr_value(&tag_str, "charset")
                && let Some(enc) = Encoding::for_label(v.as_bytes())
            {
                return Some(meta_fixup(enc));
            }
            if attr_value(&tag_str, "http-equiv").as_deref() == Some("content-type")
                && let Some(content) = attr_value(&tag_str, "content")
                && let Some(enc) = charset_from_content_type(&content)
            {
                return Some(meta_fixup(enc));
            }
            i = end;
            continue;
        }
        i += 1;
    }
    None
}

fn meta_fixup(enc: &'static Encoding) -> &'static Encoding {
    if enc == encoding_rs::UTF_16BE || enc == encoding_rs::UTF_16LE {
        encoding_rs::UTF_8
    } else if enc == encoding_rs::X_USER_DEFINED {
        encoding_rs::WINDOWS_1252
    } else {
        enc
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Value of attribute `name` in a lower-cased tag body.
fn attr_value(tag: &str, name: &str) -> Option<String> {
    let mut search = 0;
    while let Some(p) = tag[search..].find(name) {
        let start = search + p;
        let before_ok = start == 0
            || tag.as_bytes()[start - 1].is_ascii_whitespace()
            || tag.as_bytes()[start - 1] == b'/'
            || tag.as_bytes()[start - 1] == b'"'
            || tag.as_bytes()[start - 1] == b'\'';
        let after = tag[start + name.len()..].trim_start();
        if before_ok && let Some(v) = after.strip_prefix('=') {
            let v = v.trim_start();
            let (val, _) = if let Some(r) = v.strip_prefix('"') {
                (r.split('"').next().unwrap_or(""), ())
            } else if let Some(r) = v.strip_prefix('\'') {
                (r.split('\'').next().unwrap_or(""), ())
            } else {
                (
                    v.split(|c: char| c.is_ascii_whitespace() || c == '/')
                        .next()
                        .unwrap_or(""),
                    (),
                )
            };
            return Some(val.trim().to_string());
        }
        search = start + name.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_without_bom_is_recognised_by_its_zero_bytes() {
        let page = "<html><head><meta charset=\"utf-16\"><title>Café über</title></head><body><p>Grüße</p></body></html>";
        let le: Vec<u8> = page.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = page.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        for (bytes, enc) in [(&le, encoding_rs::UTF_16LE), (&be, encoding_rs::UTF_16BE)] {
            let d = decode(bytes, None);
            assert_eq!(d.encoding, enc);
            assert_eq!(d.text, page);
        }
        // Ordinary pages, and binary with scattered zeros, are not taken for UTF-16.
        assert_eq!(decode(page.as_bytes(), None).encoding, encoding_rs::UTF_8);
        let mixed: Vec<u8> = (0..2000u32)
            .map(|i| if i % 5 == 0 { 0 } else { b'a' })
            .collect();
        assert_ne!(decode(&mixed, None).encoding, encoding_rs::UTF_16LE);
    }

    #[test]
    fn bom_beats_header_and_meta() {
        let mut body = vec![0xEF, 0xBB, 0xBF];
        body.extend_from_slice("<meta charset=windows-1251><p>Город</p>".as_bytes());
        let d = decode(&body, Some("text/html; charset=windows-1251"));
        assert_eq!(d.source, EncodingSource::Bom);
        assert_eq!(d.encoding, encoding_rs::UTF_8);
        assert!(d.text.contains("Город"));
        assert!(!d.text.starts_with('\u{feff}'));
    }

    #[test]
    fn latin1_meta_label_means_windows_1252() {
        let body = b"<html><head><meta charset=\"iso-8859-1\"></head><p>\x80 \x84x\x93</p>";
        let d = decode(body, Some("text/html"));
        assert_eq!(d.source, EncodingSource::Meta);
        assert_eq!(d.encoding, encoding_rs::WINDOWS_1252);
        assert!(d.text.contains("€ „x“"));
    }

    #[test]
    fn single_byte_declaration_on_valid_utf8_is_decoded_as_utf8() {
        let page =
            "<html><head><meta charset=\"iso-8859-1\"></head><p>Café über “quotes” — naïve</p>";
        let d = decode(page.as_bytes(), Some("text/html"));
        assert_eq!(d.encoding, encoding_rs::UTF_8);
        assert_eq!(d.source, EncodingSource::Guess);
        assert_eq!(d.text, page);
        assert!(!d.text.contains("Ã"));
        // The same from an HTTP header (no meta), and with windows-1251 / KOI8-R.
        let page = "<p>Город — Café</p>";
        for ct in [
            "text/html; charset=windows-1252",
            "text/html; charset=windows-1251",
            "text/html; charset=koi8-r",
        ] {
            let d = decode(page.as_bytes(), Some(ct));
            assert_eq!(d.encoding, encoding_rs::UTF_8, "{ct}");
            assert_eq!(d.text, page, "{ct}");
        }
        // A body cut inside its last character (a size limit) is still UTF-8.
        let mut cut = "<meta charset=latin1><p>Grüße aus Köln "
            .as_bytes()
            .to_vec();
        cut.extend_from_slice(&"é".as_bytes()[..1]);
        let d = decode(&cut, None);
        assert_eq!(d.encoding, encoding_rs::UTF_8);
        assert!(
            d.text
                .starts_with("<meta charset=latin1><p>Grüße aus Köln ")
        );
    }

    #[test]
    fn single_byte_declaration_on_legacy_bytes_is_kept() {
        // Genuine windows-1252 (é = 0xE9, ü = 0xFC): not valid UTF-8, so the declaration holds.
        let body = b"<meta charset=iso-8859-1><p>Caf\xe9 \xfcber</p>";
        let d = decode(body, None);
        assert_eq!(
            (d.encoding, d.source),
            (encoding_rs::WINDOWS_1252, EncodingSource::Meta)
        );
        assert!(d.text.contains("Café über"));
        // Its only non-ASCII byte at the very end looks like a cut UTF-8 sequence: still 1252.
        let d = decode(b"<p>caf\xe9", Some("text/html; charset=windows-1252"));
        assert_eq!(
            (d.encoding, d.source),
            (encoding_rs::WINDOWS_1252, EncodingSource::Header)
        );
        assert_eq!(d.text, "<p>café");
        // Pure ASCII keeps its declaration.
        let d = decode(b"<p>plain", Some("text/html; charset=iso-8859-2"));
        assert_eq!(
            (d.encoding, d.source),
            (encoding_rs::ISO_8859_2, EncodingSource::Header)
        );
    }

    #[test]
    fn utf8_declaration_on_mostly_invalid_bytes_falls_back_to_the_guess() {
        let text =
            "Die Straße führt über die Brücke nach Köln, während die Bürger schläfrig grüßen.";
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        for (body, ct) in [
            (latin1.to_vec(), Some("text/html; charset=utf-8")),
            (
                [b"<meta charset=utf-8><p>".as_slice(), &latin1].concat(),
                None,
            ),
        ] {
            let d = decode(&body, ct);
            assert_eq!(d.encoding, encoding_rs::WINDOWS_1252);
            assert_eq!(d.source, EncodingSource::Guess);
            assert!(d.text.contains(text), "{}", d.text);
            assert!(!d.text.contains('\u{fffd}'));
        }
        // A UTF-8 page with one stray byte stays UTF-8 (one U+FFFD, the rest intact).
        let mut body = text.as_bytes().to_vec();
        body.push(0xE9);
        body.extend_from_slice(" Ende".as_bytes());
        let d = decode(&body, Some("text/html; charset=utf-8"));
        assert_eq!(
            (d.encoding, d.source),
            (encoding_rs::UTF_8, EncodingSource::Header)
        );
        assert_eq!(d.text, format!("{text}\u{fffd} Ende"));
    }

    #[test]
    fn bom_stays_authoritative_over_mismatched_bytes() {
        // UTF-8 BOM, windows-1252 header, windows-1252 bytes: the BOM wins (U+FFFD for 0xE9).
        let body = b"\xEF\xBB\xBF<p>Caf\xe9 and more caf\xe9 text</p>";
        let d = decode(body, Some("text/html; charset=windows-1252"));
        assert_eq!(
            (d.encoding, d.source),
            (encoding_rs::UTF_8, EncodingSource::Bom)
        );
        assert!(d.text.contains("Caf\u{fffd}"));
    }

    #[test]
    fn http_equiv_and_header() {
        let body = b"<meta http-equiv='Content-Type' content='text/html; charset=koi8-r'>";
        assert_eq!(meta_prescan(body), Some(encoding_rs::KOI8_R));
        assert_eq!(
            charset_from_content_type("text/html; Charset=\"Shift_JIS\""),
            Some(encoding_rs::SHIFT_JIS)
        );
        assert_eq!(charset_from_content_type("text/html"), None);
    }
}
