package tui

// Tile geometry. A tile is a border (1 cell each side), the video, and a
// name line under the video inside the border. A terminal cell is about
// twice as tall as wide and a half-block cell holds two pixels stacked, so
// a video of vw×vh cells shows vw×2vh square pixels: 4:3 video wants
// vh = vw·3/8.
const (
	tileChromeW = 2
	tileChromeH = 3
	// Below this the video is not worth showing: page instead.
	minVideoW = 16
	minVideoH = 6
)

// Grid is how tiles are laid out on one page.
type Grid struct {
	Cols, Rows     int // tiles across and down
	TileW, TileH   int // cells per tile, border included
	VideoW, VideoH int // cells of video inside a tile
	PerPage        int // tiles on a full page
	Pages          int
}

// Layout picks the columns and rows that make n tiles as large as a w×h
// area allows at the video's aspect (aw:ah), paging past what fits at a
// legible minimum size.
func Layout(n, w, h, aw, ah int) Grid {
	if n < 1 {
		n = 1
	}
	if aw <= 0 || ah <= 0 {
		aw, ah = 4, 3
	}
	best := Grid{}
	bestArea := -1
	for perPage := n; perPage >= 1; perPage-- {
		for cols := 1; cols <= perPage; cols++ {
			rows := (perPage + cols - 1) / cols
			tw, th := w/cols, h/rows
			vw, vh := fit(tw-tileChromeW, th-tileChromeH, aw, ah)
			if vw < 1 || vh < 1 {
				continue
			}
			area := vw * vh
			if area > bestArea {
				bestArea = area
				best = Grid{Cols: cols, Rows: rows, TileW: tw, TileH: th, VideoW: vw, VideoH: vh, PerPage: perPage}
			}
		}
		// The fewest pages whose tiles are still legible wins; with one
		// page that is every tile at once.
		if bestArea >= 0 && best.VideoW >= minVideoW && best.VideoH >= minVideoH {
			break
		}
		if perPage == 1 {
			break
		}
		bestArea = -1
	}
	if best.PerPage == 0 {
		best = Grid{Cols: 1, Rows: 1, TileW: w, TileH: h, PerPage: 1}
	}
	// Tiles hug their video; the view centres the block of them.
	if best.VideoW > 0 {
		best.TileW = min(best.TileW, best.VideoW+tileChromeW)
		best.TileH = min(best.TileH, best.VideoH+tileChromeH)
	}
	best.Pages = (n + best.PerPage - 1) / best.PerPage
	return best
}

// fit is the largest video of aspect aw:ah (in square pixels) that fits
// in a w×h cell box, in cells.
func fit(w, h, aw, ah int) (vw, vh int) {
	if w < 1 || h < 1 {
		return 0, 0
	}
	// vh = vw·ah/(2·aw) cells.
	vw = w
	vh = vw * ah / (2 * aw)
	if vh > h {
		vh = h
		vw = vh * 2 * aw / ah
	}
	return vw, vh
}
