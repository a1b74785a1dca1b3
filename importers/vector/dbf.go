package vector

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// Shapefiles carry their text encoding in a .cpg file or in the DBF's language driver byte (LDID);
// many Chinese files have neither. GDAL decodes what it is told, so Yitu decides, and checks the bytes
// against the decision: text that is not valid UTF-8 cannot be UTF-8, and Chinese text that is valid
// UTF-8 is practically never GBK.

// dbfInfo is a DBF header and what its text bytes are.
type dbfInfo struct {
	records   int
	ldid      byte
	validUTF8 bool   // every byte sequence is valid UTF-8
	nonASCII  bool   // some byte is above 0x7F
	sample    string // the first non-ASCII value, as raw bytes
	sampleRec int
	sampleFld string
}

func readDBF(path string) (*dbfInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseDBF(path, b)
}

// parseDBF reads a DBF's header and the bytes of its character fields.
func parseDBF(path string, b []byte) (*dbfInfo, error) {
	if len(b) < 32 {
		return nil, fmt.Errorf("%s: %d bytes, too short for a DBF header (truncated?)", path, len(b))
	}
	d := &dbfInfo{records: int(binary.LittleEndian.Uint32(b[4:])), ldid: b[29], validUTF8: true}
	headerLen := int(binary.LittleEndian.Uint16(b[8:]))
	recLen := int(binary.LittleEndian.Uint16(b[10:]))
	if headerLen < 33 || recLen < 1 || headerLen > len(b) {
		return nil, fmt.Errorf("%s: not a valid DBF header (header length %d, record length %d)", path, headerLen, recLen)
	}
	if need := headerLen + d.records*recLen; len(b) < need {
		return nil, fmt.Errorf("%s is truncated: its header announces %d records (%d bytes), the file has %d bytes", path, d.records, need, len(b))
	}
	type field struct {
		name      string
		off, size int
	}
	var fields []field
	off := 1 // deletion flag
	for p := 32; p+32 <= headerLen && b[p] != 0x0D; p += 32 {
		name := strings.TrimRight(string(b[p:p+11]), "\x00 ")
		size := int(b[p+16])
		if b[p+11] == 'C' {
			fields = append(fields, field{name, off, size})
		}
		off += size
	}
	for r := 0; r < d.records; r++ {
		rec := b[headerLen+r*recLen : headerLen+(r+1)*recLen]
		for _, f := range fields {
			if f.off+f.size > len(rec) {
				continue
			}
			v := rec[f.off : f.off+f.size]
			ascii := true
			for _, c := range v {
				if c >= 0x80 {
					ascii = false
					break
				}
			}
			if ascii {
				continue
			}
			d.nonASCII = true
			// A fixed-width field may cut the last UTF-8 character short: trim an incomplete tail.
			t := strings.TrimRight(string(v), " \x00")
			valid := utf8.ValidString(t) || utf8.ValidString(trimIncomplete(t))
			if !valid && d.validUTF8 || d.sample == "" {
				d.sample, d.sampleRec, d.sampleFld = t, r+1, f.name
			}
			if !valid {
				d.validUTF8 = false
			}
		}
	}
	return d, nil
}

func trimIncomplete(s string) string {
	for i := 0; i < 3 && len(s) > 0; i++ {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// cpgEncoding maps a .cpg's content to gbk or utf-8 ("" if it names something else).
func cpgEncoding(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch s {
	case "UTF-8", "UTF8", "65001":
		return "utf-8"
	case "GBK", "GB2312", "GB18030", "936", "CP936", "ANSI 936", "MS936":
		return "gbk"
	}
	return ""
}

// decideEncoding picks the DBF's encoding: --encoding, else the .cpg, else the LDID, else the bytes;
// and refuses one that the bytes contradict. It returns gbk or utf-8, and how it decided.
func decideEncoding(d *dbfInfo, flag, cpg string) (enc, how string, err error) {
	switch {
	case flag != "":
		enc, how = flag, "--encoding "+flag
	case cpgEncoding(cpg) != "":
		enc, how = cpgEncoding(cpg), fmt.Sprintf(".cpg %q", strings.TrimSpace(cpg))
	case d.ldid == 0x4D || d.ldid == 0x7A: // code page 936 (GBK)
		enc, how = "gbk", fmt.Sprintf("language driver 0x%02X (code page 936)", d.ldid)
	case !d.nonASCII || d.validUTF8:
		enc, how = "utf-8", "no .cpg or code page; the text is valid UTF-8"
	default:
		enc, how = "gbk", "no .cpg or code page; the text is not UTF-8, so GBK"
	}
	if !d.nonASCII {
		return enc, how, nil
	}
	where := fmt.Sprintf("record %d, field %s", d.sampleRec, d.sampleFld)
	switch {
	case enc == "utf-8" && !d.validUTF8:
		return "", "", fmt.Errorf("the DBF text is not UTF-8 (%s: bytes % X) although %s says so; it is probably GBK: give --encoding gbk",
			where, []byte(truncateBytes(d.sample, 12)), how)
	case enc == "gbk" && d.validUTF8:
		return "", "", fmt.Errorf("the DBF text is UTF-8 (%s: %q), not GBK as %s says; give --encoding utf-8 or leave --encoding out",
			where, d.sample, how)
	}
	return enc, how, nil
}

func truncateBytes(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// checkSHP compares a .shp's announced length with the file: a truncated file is refused before
// GDAL reads the records it still has.
func checkSHP(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var h [100]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return fmt.Errorf("%s: %d bytes, too short for a shapefile header (truncated?)", path, st.Size())
	}
	if binary.BigEndian.Uint32(h[0:]) != 9994 {
		return fmt.Errorf("%s is not a shapefile (file code %d)", path, binary.BigEndian.Uint32(h[0:]))
	}
	if want := int64(binary.BigEndian.Uint32(h[24:])) * 2; want != st.Size() {
		if want > st.Size() {
			return fmt.Errorf("%s is truncated: its header announces %d bytes, the file has %d", path, want, st.Size())
		}
		return fmt.Errorf("%s: its header announces %d bytes but the file has %d", path, want, st.Size())
	}
	return nil
}
