package oblique

// Helpers for the external tests (package oblique_test, which may import demo).
var (
	ImportWith  = importWith
	StoredModel = storedModel
	CheckGLBs   = checkGLBs
)

type StoredNode = storedNode
