package loader

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is the import's progress bar: bytes read when the importer tracks its reader, else a
// count of rows. It draws only on a terminal.
type progress struct {
	w       io.Writer
	title   string
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	tracked bool
	pending int
}

func newProgress(w io.Writer, title string) *progress {
	if w == nil {
		return nil
	}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{w: w, title: title}
}

func (p *progress) options(extra ...progressbar.Option) []progressbar.Option {
	return append([]progressbar.Option{
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription("导入 " + p.title),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
	}, extra...)
}

// track makes the bar follow the bytes of r.
func (p *progress) track(r io.Reader, size int64) io.Reader {
	if p == nil {
		return r
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	p.tracked = true
	p.bar = progressbar.NewOptions64(size, p.options(progressbar.OptionShowBytes(true))...)
	return &progressReader{r: r, bar: p.bar}
}

type progressReader struct {
	r   io.Reader
	bar *progressbar.ProgressBar
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	_ = pr.bar.Add(n)
	return n, err
}

// row counts one row when no reader is tracked.
func (p *progress) row() {
	if p == nil || p.tracked {
		return
	}
	p.pending++
	if p.pending < 4096 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(-1, p.options(progressbar.OptionSetItsString("rows"), progressbar.OptionShowIts())...)
	}
	_ = p.bar.Add(p.pending)
	p.pending = 0
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
