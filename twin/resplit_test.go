package twin

import (
	"context"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/glb"
	"github.com/yitu-gis/yitu/twin/twintest"
)

// TestResplit: a change of buildings far from a split model leaves it alone; one under it splits
// it again with the options of its last split, and the Resplitter gathers a burst of changes into
// one run.
func TestResplit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	_, idB, _ := twintest.SceneFootprints(t, pool)
	twintest.ImportScene(t, pool, "follows", 4)
	twintest.ImportScene(t, pool, "unsplit", 4)
	o := SplitOptions{Clearance: 1.5, Margin: 4, Tolerance: 0.25}
	if _, err := Split(ctx, pool, "follows", o); err != nil {
		t.Fatal(err)
	}
	nameOf := func() string {
		t.Helper()
		b, err := SplitBuilding(ctx, pool, "follows", idB)
		if err != nil {
			t.Fatal(err)
		}
		m, err := glb.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		return m.Nodes[0].Mesh.Primitives[0].Table.Value("name", 0)
	}
	var box [4]float64
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM basemap.building WHERE id = $1`, idB).Scan(&box[0], &box[1], &box[2], &box[3]); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE basemap.building SET name = '丙楼' WHERE id = $1`, idB); err != nil {
		t.Fatal(err)
	}
	far := [4]float64{box[0] + 1, box[1] + 1, box[2] + 1, box[3] + 1}
	if reps, err := Resplit(ctx, pool, &far); err != nil || len(reps) != 0 {
		t.Errorf("a change 100 km away split %d models (%v)", len(reps), err)
	}
	if n := nameOf(); n != "乙楼" {
		t.Errorf("building B is %q before the model is split again", n)
	}

	r := NewResplitter(pool, 2*time.Second, nil)
	done := make(chan []*SplitReport, 4)
	r.OnDone(func(reps []*SplitReport, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- reps
	})
	go r.Run(ctx)
	for range 3 { // a burst of edits: one run
		r.Changed(&box)
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case reps := <-done:
		if len(reps) != 1 || reps[0].Model != "follows" {
			t.Fatalf("split again: %+v, want model follows only (unsplit is not split)", reps)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the resplitter did not run within 30 s")
	}
	select {
	case reps := <-done:
		t.Errorf("a burst of changes ran %d times", 1+len(reps))
	case <-time.After(3 * time.Second): // longer than the delay: a second run would have come
	}
	if n := nameOf(); n != "丙楼" {
		t.Errorf("after the edit building B is %q, want 丙楼", n)
	}
	var clearance, margin, tolerance float64
	if err := pool.QueryRow(ctx, `SELECT (asset->'split'->>'clearance')::float8, (asset->'split'->>'margin')::float8, (asset->'split'->>'tolerance')::float8
		FROM twin.model WHERE name = 'follows'`).Scan(&clearance, &margin, &tolerance); err != nil {
		t.Fatal(err)
	}
	if clearance != o.Clearance || margin != o.Margin || tolerance != o.Tolerance {
		t.Errorf("split again with %v %v %v, want the last split's %+v", clearance, margin, tolerance, o)
	}
	var split bool
	pool.QueryRow(ctx, `SELECT asset ? 'split' FROM twin.model WHERE name = 'unsplit'`).Scan(&split)
	if split {
		t.Error("a model never split was split")
	}
}
