package twin

import (
	"fmt"
	"math"
)

// Config is the 3D part of Yitu's configuration (section twin in yitu.yaml).
type Config struct {
	// HeightOffset (metres) turns the stored survey heights, which are normal heights (1985 national
	// height datum), into the ellipsoidal heights 3D Tiles needs: the local geoid undulation (about
	// +9 m around Laizhou). NaN means unset: 0 is used and a warning is logged, never silently.
	HeightOffset float64 `yaml:"height_offset"`
	// StoreyHeight (metres) extrudes base-map buildings that have floors but no height.
	StoreyHeight float64 `yaml:"storey_height"`
	// DefaultFloors is assumed for base-map buildings with neither height nor floors.
	DefaultFloors int `yaml:"default_floors"`
	// GroundHeight (normal height, metres) stands a base-map building with no spot height within
	// about 300 m.
	GroundHeight float64 `yaml:"ground_height"`
	// FeatureCap is the most features one tile holds; the rest go to its children.
	FeatureCap int `yaml:"feature_cap"`
	// CacheTiles is how many built tiles the server keeps in memory.
	CacheTiles int `yaml:"cache_tiles"`
}

// DefaultConfig is the configuration without a yitu.yaml: height offset unset.
func DefaultConfig() Config {
	return Config{HeightOffset: math.NaN(), StoreyHeight: 3, DefaultFloors: 1, FeatureCap: 1000, CacheTiles: 4096}
}

// Offset returns the height offset and whether it was configured.
func (c Config) Offset() (float64, bool) {
	if math.IsNaN(c.HeightOffset) {
		return 0, false
	}
	return c.HeightOffset, true
}

// Validate checks the values no type check catches.
func (c Config) Validate() error {
	switch {
	case c.StoreyHeight <= 0 || c.StoreyHeight > 20:
		return fmt.Errorf("twin.storey_height %v is not a storey height in metres (0 to 20)", c.StoreyHeight)
	case c.DefaultFloors < 1:
		return fmt.Errorf("twin.default_floors %d must be at least 1", c.DefaultFloors)
	case c.FeatureCap < 1:
		return fmt.Errorf("twin.feature_cap %d must be at least 1", c.FeatureCap)
	case c.CacheTiles < 1:
		return fmt.Errorf("twin.cache_tiles %d must be at least 1", c.CacheTiles)
	case !math.IsNaN(c.HeightOffset) && math.Abs(c.HeightOffset) > 200:
		return fmt.Errorf("twin.height_offset %v m is beyond any geoid undulation (±110 m)", c.HeightOffset)
	}
	return nil
}
