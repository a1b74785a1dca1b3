package dxf

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// CodePage returns the decoder of a DXF code page ($DWGCODEPAGE, e.g. "ANSI_936") or an encoding name
// ("gbk", "utf-8"), and whether it is known.
func CodePage(name string) (encoding.Encoding, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	n = strings.ReplaceAll(n, "-", "")
	n = strings.ReplaceAll(n, "_", "")
	switch n {
	case "UTF8", "UTF8BOM":
		return unicode.UTF8, true
	case "ANSI936", "GBK", "CP936", "GB2312", "DOS936", "GB18030":
		if n == "GB18030" {
			return simplifiedchinese.GB18030, true
		}
		return simplifiedchinese.GBK, true
	case "ANSI950", "BIG5", "CP950":
		return traditionalchinese.Big5, true
	case "ANSI932", "SHIFTJIS", "SJIS", "CP932", "DOS932":
		return japanese.ShiftJIS, true
	case "ANSI949", "EUCKR", "CP949", "ANSI1361":
		return korean.EUCKR, true
	case "ANSI1250", "CP1250", "WINDOWS1250":
		return charmap.Windows1250, true
	case "ANSI1251", "CP1251", "WINDOWS1251":
		return charmap.Windows1251, true
	case "ANSI1252", "CP1252", "WINDOWS1252", "ISO88591", "LATIN1", "", "ANSI":
		return charmap.Windows1252, true
	case "ANSI1253", "CP1253":
		return charmap.Windows1253, true
	case "ANSI1254", "CP1254":
		return charmap.Windows1254, true
	case "ANSI1255", "CP1255":
		return charmap.Windows1255, true
	case "ANSI1256", "CP1256":
		return charmap.Windows1256, true
	case "ANSI1257", "CP1257":
		return charmap.Windows1257, true
	case "ANSI1258", "CP1258":
		return charmap.Windows1258, true
	case "ANSI874", "CP874":
		return charmap.Windows874, true
	case "DOS437", "CP437":
		return charmap.CodePage437, true
	case "DOS850", "CP850":
		return charmap.CodePage850, true
	case "DOS866", "CP866":
		return charmap.CodePage866, true
	}
	return nil, false
}

// textDecoder turns the raw bytes of DXF strings into UTF-8 text.
type textDecoder struct {
	enc  encoding.Encoding // nil: UTF-8
	utf8 bool
	// guess: no code page declared and none forced: valid UTF-8 is taken as UTF-8, anything else as
	// Windows-1252 (AutoCAD's default).
	guess bool
	dec   *encoding.Decoder
	// \M+N multibyte escapes name their own code page
}

func (d *textDecoder) setUTF8() { d.set(unicode.UTF8) }

func (d *textDecoder) set(enc encoding.Encoding) {
	d.guess = false
	if enc == unicode.UTF8 {
		d.utf8, d.enc, d.dec = true, nil, nil
		return
	}
	d.utf8, d.enc, d.dec = false, enc, enc.NewDecoder()
}

// str decodes a string value: code page, then \U+XXXX and \M+NXXXX escapes.
func (d *textDecoder) str(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	var s string
	switch {
	case ascii:
		s = string(b)
	case d.utf8 || (d.guess && utf8.Valid(b)):
		s = strings.ToValidUTF8(string(b), "\uFFFD")
	default:
		dec := d.dec
		if dec == nil {
			dec = charmap.Windows1252.NewDecoder()
			d.dec = dec
		}
		out, err := dec.Bytes(b)
		if err != nil {
			s = strings.ToValidUTF8(string(b), "\uFFFD")
		} else {
			s = string(out)
		}
	}
	if strings.IndexByte(s, '\\') >= 0 {
		s = unescapeUnicode(s)
	}
	return s
}

// unescapeUnicode replaces \U+XXXX (a UTF-16 code unit; surrogate pairs combine) and \M+NXXXX (two
// bytes in the DBCS code page N: 1 Shift-JIS, 2 Big5, 3 Wansung, 4 Johab, 5 GB2312/GBK).
func unescapeUnicode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '\\' && i+7 <= len(s) && (s[i+1] == 'U' || s[i+1] == 'u') && s[i+2] == '+' {
			if r, ok := hex4(s[i+3 : i+7]); ok {
				if r >= 0xD800 && r < 0xDC00 && i+14 <= len(s) && s[i+7] == '\\' && (s[i+8] == 'U' || s[i+8] == 'u') && s[i+9] == '+' {
					if lo, ok := hex4(s[i+10 : i+14]); ok && lo >= 0xDC00 && lo < 0xE000 {
						b.WriteRune(0x10000 + (r-0xD800)<<10 + (lo - 0xDC00))
						i += 14
						continue
					}
				}
				b.WriteRune(r)
				i += 7
				continue
			}
		}
		if s[i] == '\\' && i+8 <= len(s) && (s[i+1] == 'M' || s[i+1] == 'm') && s[i+2] == '+' && s[i+3] >= '1' && s[i+3] <= '5' {
			if v, ok := hex4(s[i+4 : i+8]); ok {
				if r, ok := decodeMBCS(s[i+3], byte(v>>8), byte(v)); ok {
					b.WriteString(r)
					i += 8
					continue
				}
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func hex4(s string) (rune, bool) {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func decodeMBCS(page byte, hi, lo byte) (string, bool) {
	var enc encoding.Encoding
	switch page {
	case '1':
		enc = japanese.ShiftJIS
	case '2':
		enc = traditionalchinese.Big5
	case '3', '4':
		enc = korean.EUCKR
	case '5':
		enc = simplifiedchinese.GBK
	}
	out, err := enc.NewDecoder().Bytes([]byte{hi, lo})
	if err != nil || !utf8.Valid(out) || strings.ContainsRune(string(out), utf8.RuneError) {
		return "", false
	}
	return string(out), true
}

// decodeCarets undoes AutoCAD's caret encoding of control characters in text values: "^J" is a line
// feed, "^I" a tab, "^ " a literal caret; letters count in either case. Control characters other
// than tab and line feed are dropped: they never belong in map text.
func decodeCarets(s string) string {
	if strings.IndexByte(s, '^') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '^' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		n := s[i+1]
		i++
		if n == ' ' {
			b.WriteByte('^')
			continue
		}
		if n >= 'a' && n <= 'z' {
			n -= 'a' - 'A'
		}
		if n < 0x3F || n > 0x5F {
			b.WriteByte('^') // not an encoded control character: keep both
			b.WriteByte(s[i])
			continue
		}
		switch ctl := n ^ 0x40; ctl {
		case '\t', '\n':
			b.WriteByte(ctl)
		}
	}
	return b.String()
}

// textSpecials replaces the %% control codes of TEXT: %%d °, %%p ±, %%c ⌀, %%% %, %%nnn the
// character nnn; %%u and %%o (underline, overline toggles) are dropped.
func textSpecials(s string) string {
	if !strings.Contains(s, "%%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+2 >= len(s) || s[i+1] != '%' {
			b.WriteByte(s[i])
			continue
		}
		c := s[i+2]
		switch c {
		case 'd', 'D':
			b.WriteString("°")
		case 'p', 'P':
			b.WriteString("±")
		case 'c', 'C':
			b.WriteString("⌀")
		case '%':
			b.WriteByte('%')
		case 'u', 'U', 'o', 'O', 'k', 'K':
		default:
			if c >= '0' && c <= '9' {
				j := i + 2
				n := 0
				for j < len(s) && j < i+5 && s[j] >= '0' && s[j] <= '9' {
					n = n*10 + int(s[j]-'0')
					j++
				}
				if n > 0 {
					b.WriteRune(rune(n))
				}
				i = j - 1
				continue
			}
			b.WriteString("%%")
			b.WriteByte(c)
		}
		i += 2
	}
	return b.String()
}

// PlainMText strips MTEXT formatting codes: \P becomes a line break, \~ a space, \S stacked
// fractions become "a/b", braces, font, height, colour, width, tracking, alignment and underline
// codes go; \\, \{ and \} stand for themselves.
func PlainMText(s string) string {
	if !strings.ContainsAny(s, "\\{}") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '{', '}':
			continue
		case '\\':
		default:
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			break
		}
		i++
		switch s[i] {
		case 'P', 'n':
			b.WriteByte('\n')
		case 'N':
			b.WriteByte('\n')
		case '~':
			b.WriteByte(' ')
		case '\\', '{', '}':
			b.WriteByte(s[i])
		case 'L', 'l', 'O', 'o', 'K', 'k':
			// underline, overline, strike-through toggles
		case 'S':
			// \Snum^den; \Snum/den; \Snum#den;
			j := strings.IndexByte(s[i+1:], ';')
			if j < 0 {
				b.WriteString(s[i+1:])
				i = len(s)
				break
			}
			st := s[i+1 : i+1+j]
			st = strings.NewReplacer("^", "/", "#", "/").Replace(st)
			st = strings.TrimSpace(strings.ReplaceAll(st, "/ ", "/"))
			st = strings.TrimSuffix(strings.TrimPrefix(st, "/"), "/")
			b.WriteString(st)
			i += 1 + j
		case 'A', 'C', 'c', 'F', 'f', 'H', 'h', 'Q', 'q', 'T', 't', 'W', 'w', 'p':
			// codes with an argument up to ';'
			if j := strings.IndexByte(s[i+1:], ';'); j >= 0 {
				i += 1 + j
			} else {
				i = len(s)
			}
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
