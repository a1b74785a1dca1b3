package pipeline

import (
	"context"

	"github.com/yitu-gis/yitu/importers/loader"
)

type EPANET struct{}

func (EPANET) Name() string                                               { return "epanet" }
func (EPANET) Sniff(string, []byte) bool                                  { return false }
func (EPANET) Import(context.Context, *loader.Batch, loader.Source) error { return nil }

type Tables struct{}

func (Tables) Name() string                                               { return "csv" }
func (Tables) Sniff(string, []byte) bool                                  { return false }
func (Tables) Import(context.Context, *loader.Batch, loader.Source) error { return nil }
