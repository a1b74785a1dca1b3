package loader

// Count records n rows of a feature class that the importer wrote itself through Tx (rows that need
// their generated ids back, such as a model and its tiles), so the report and catalog.dataset count
// them as they count the rows of a TableWriter.
func (b *Batch) Count(class string, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.counted == nil {
		b.counted = map[string]int{}
	}
	b.counted[class] += n
}

// Extend adds a lon/lat (EPSG:4490) box to the dataset's extent, for rows written through Tx.
func (b *Batch) Extend(minLon, minLat, maxLon, maxLat float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bbox.extend(bounds{minLon, minLat, maxLon, maxLat})
}
