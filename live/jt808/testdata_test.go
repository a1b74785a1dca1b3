package jt808

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/internal/shareddata"
)

// tracFrame is a row of traccar_jt808_frames_a.tsv.
type tracFrame struct {
	n      int
	msg    string // the file's msg_id column
	expect string // traccar's expectation
	raw    []byte
}

// readTraccar reads the traccar frames from the shared data folder.
func readTraccar(t testing.TB) []tracFrame {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, "jt808/traccar_jt808_frames_a.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []tracFrame
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		cols := strings.Split(s, "\t")
		if len(cols) != 4 {
			t.Fatalf("traccar_jt808_frames_a.tsv line %d: %d columns, want 4", line, len(cols))
		}
		n, err := strconv.Atoi(cols[0])
		if err != nil {
			t.Fatalf("traccar_jt808_frames_a.tsv line %d: frame number: %v", line, err)
		}
		raw, err := hex.DecodeString(cols[3])
		if err != nil {
			t.Fatalf("traccar_jt808_frames_a.tsv line %d: hex: %v", line, err)
		}
		rows = append(rows, tracFrame{n: n, msg: cols[1], expect: cols[2], raw: raw})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// smallchiFrame is a frame of smallchi_jt808_0200_expected.txt with its expected values.
type smallchiFrame struct {
	name   string
	title  string // the [frame] line: header values
	raw    []byte
	expect map[string]string
}

func readSmallChi(t testing.TB) []smallchiFrame {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, "jt808/smallchi_jt808_0200_expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []smallchiFrame
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "[frame"):
			name, title, _ := strings.Cut(line, "]")
			out = append(out, smallchiFrame{name: strings.TrimPrefix(name, "["), title: title, expect: map[string]string{}})
		case strings.HasPrefix(line, "7E "):
			raw, err := hex.DecodeString(strings.ReplaceAll(line, " ", ""))
			if err != nil {
				t.Fatalf("smallchi line %d: %v", i+1, err)
			}
			out[len(out)-1].raw = raw
		case strings.HasPrefix(line, "expect:"):
			// "alarm=1 … time=2018-07-15 10:10:10 extra 0x01 mileage=100 …": key=value pairs; the
			// time's clock part is the word after it.
			words := strings.Fields(strings.TrimPrefix(line, "expect:"))
			for j, w := range words {
				k, v, ok := strings.Cut(w, "=")
				if !ok {
					continue
				}
				if k == "time" && j+1 < len(words) {
					v += " " + words[j+1]
				}
				out[len(out)-1].expect[k] = v
			}
		}
	}
	return out
}
