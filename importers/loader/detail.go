package loader

// Detail records a format's own description of what it imported (a DEM's size, CRS and height
// range), kept in the report under key.
func (b *Batch) Detail(key string, v any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.details == nil {
		b.details = map[string]any{}
	}
	b.details[key] = v
}
