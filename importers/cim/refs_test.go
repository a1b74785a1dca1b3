package cim

import (
	"fmt"
	"strings"
	"testing"
)

// TestScanRefs: only ids referenced from another member are kept, however the document falls into
// the scanner's chunks.
func TestScanRefs(t *testing.T) {
	for _, pad := range []int{0, 256<<10 - 40, 256<<10 - 3, 300 << 10, 600 << 10} {
		doc := `<CityModel><cityObjectMember><Building gml:id="A"><Polygon gml:id="A-p"/><x xlink:href="#A-p"/></Building></cityObjectMember>` +
			"<!--" + strings.Repeat(" ", pad) + "-->" +
			`<cityObjectMember><Building gml:id="B"><x xlink:href="#A-p"/><x xlink:href="#C-p"/><x xlink:href="#nowhere"/></Building></cityObjectMember>` +
			`<cityObjectMember><Building gml:id="C"><Polygon gml:id="C-p"/></Building></cityObjectMember></CityModel>`
		refs, err := scanRefs(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(refs); got != "map[A-p:true C-p:true]" {
			t.Errorf("padding %d: refs %s, want A-p and C-p (referenced from B), not an id that is nowhere", pad, got)
		}
	}
}
