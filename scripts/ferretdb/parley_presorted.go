// Parley's pushdown (not part of FerretDB; see internal/backends/sqlite/parley_pushdown.go).
package handler

import "github.com/FerretDB/FerretDB/internal/handler/common"

// parleyPresorted returns the find parameters without their sort when the backend has already
// returned the documents in that order, so the handler filters them as they come and stops at the
// limit instead of reading and sorting them all.
func parleyPresorted(params *common.FindParams, sorted bool) *common.FindParams {
	if !sorted {
		return params
	}

	p := *params
	p.Sort = nil

	return &p
}
