package obj

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// mtllib reads a material library named by the OBJ (relative to the OBJ's folder).
func (p *parser) mtllib(name string) error {
	path := filepath.Join(p.dir, filepath.FromSlash(strings.ReplaceAll(name, `\`, "/")))
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return &Error{File: p.model.File, Line: p.line, Msg: fmt.Sprintf("mtllib %s: material library %s not found", name, path), Missing: path}
		}
		return p.fail("mtllib %s: %v", name, err)
	}
	defer f.Close()
	dir := filepath.Dir(path)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	var cur *Material
	mtlErr := func(format string, args ...any) error {
		return &Error{File: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	color := func(args []string) ([3]float32, error) {
		var c [3]float32
		if len(args) == 0 || args[0] == "spectral" || args[0] == "xyz" {
			return c, mtlErr("only r g b colours are supported")
		}
		for i := range 3 {
			s := args[0]
			if i < len(args) {
				s = args[i]
			}
			f, err := strconv.ParseFloat(s, 32)
			if err != nil {
				return c, mtlErr("%q is not a number", s)
			}
			c[i] = float32(f)
		}
		return c, nil
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		key, args := fields[0], fields[1:]
		if key == "newmtl" {
			cur = &Material{Name: strings.Join(args, " "), Diffuse: [3]float32{0.8, 0.8, 0.8}, Opacity: 1}
			p.model.Materials[cur.Name] = cur
			continue
		}
		if cur == nil {
			if key == "Kd" || key == "map_Kd" || key == "d" {
				return mtlErr("%s before any newmtl", key)
			}
			continue
		}
		var err error
		switch strings.ToLower(key) {
		case "kd":
			cur.Diffuse, err = color(args)
		case "ka":
			cur.Ambient, err = color(args)
		case "ke":
			cur.Emissive, err = color(args)
		case "d":
			if len(args) > 0 {
				v, perr := strconv.ParseFloat(args[len(args)-1], 32)
				if perr != nil {
					return mtlErr("d %q is not a number", args[len(args)-1])
				}
				cur.Opacity = float32(v)
			}
		case "tr":
			if len(args) > 0 {
				v, perr := strconv.ParseFloat(args[0], 32)
				if perr != nil {
					return mtlErr("Tr %q is not a number", args[0])
				}
				cur.Opacity = 1 - float32(v)
			}
		case "map_kd":
			file := mapFile(args)
			if file == "" {
				return mtlErr("map_Kd names no file")
			}
			tex := filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(file, `\`, "/")))
			if _, serr := os.Stat(tex); serr != nil {
				return &Error{File: path, Line: line, Msg: fmt.Sprintf("material %s: map_Kd texture %s not found", cur.Name, tex), Missing: tex}
			}
			cur.Texture = tex
		}
		if err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &Error{File: path, Line: line, Msg: err.Error()}
	}
	return nil
}

// mapFile returns the file name of a map statement's arguments, past its options
// (-blendu on, -o u v w, -s u v w, -bm mult, ...).
func mapFile(args []string) string {
	optionArgs := map[string]int{
		"-blendu": 1, "-blendv": 1, "-cc": 1, "-clamp": 1, "-imfchan": 1, "-mm": 2, "-texres": 1,
		"-type": 1, "-bm": 1, "-boost": 1,
	}
	vector := map[string]bool{"-o": true, "-s": true, "-t": true}
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		opt := args[i]
		i++
		if n, ok := optionArgs[opt]; ok {
			i += n
			continue
		}
		if vector[opt] { // 1 to 3 numbers
			for k := 0; k < 3 && i < len(args); k++ {
				if _, err := strconv.ParseFloat(args[i], 64); err != nil {
					break
				}
				i++
			}
		}
	}
	if i >= len(args) {
		return ""
	}
	return strings.Join(args[i:], " ")
}
