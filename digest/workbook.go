package digest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// WriteXLSX writes tables as the sheets of one workbook, streaming rows so
// a deployment-wide export does not hold a cell tree per row. Rates are
// numbers formatted "0.0%" and durations numbers formatted "0.0", so the
// sheets sort and sum; "—" stands where there is nothing to divide.
func WriteXLSX(w io.Writer, tables []Table) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	pctFmt, oneFmt := "0.0%", "0.0"
	pct, err := f.NewStyle(&excelize.Style{CustomNumFmt: &pctFmt})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	one, err := f.NewStyle(&excelize.Style{CustomNumFmt: &oneFmt})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	for i, t := range tables {
		if i == 0 {
			err = f.SetSheetName("Sheet1", t.Name)
		} else {
			_, err = f.NewSheet(t.Name)
		}
		if err != nil {
			return fmt.Errorf("xlsx sheet %q: %w", t.Name, err)
		}
		sw, err := f.NewStreamWriter(t.Name)
		if err != nil {
			return fmt.Errorf("xlsx sheet %q: %w", t.Name, err)
		}
		for c, wd := range t.Widths {
			if wd > 0 {
				if err := sw.SetColWidth(c+1, c+1, wd); err != nil {
					return fmt.Errorf("xlsx sheet %q: %w", t.Name, err)
				}
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return fmt.Errorf("xlsx sheet %q: %w", t.Name, err)
		}
		head := make([]any, len(t.Header))
		for c, h := range t.Header {
			head[c] = excelize.Cell{StyleID: bold, Value: h}
		}
		if err := sw.SetRow("A1", head); err != nil {
			return fmt.Errorf("xlsx sheet %q: %w", t.Name, err)
		}
		cells := make([]any, 0, len(t.Header))
		for r, row := range t.Rows {
			cells = cells[:0]
			for _, v := range row {
				switch x := v.(type) {
				case Pct:
					if x.OK {
						v = excelize.Cell{StyleID: pct, Value: x.V}
					} else {
						v = x.Text
					}
				case Days:
					v = dash
					if x.OK {
						v = excelize.Cell{StyleID: one, Value: x.V}
					}
				case string:
					if len(x) > 60 {
						v = excelize.Cell{StyleID: wrap, Value: x}
					}
				}
				cells = append(cells, v)
			}
			if err := sw.SetRow("A"+strconv.Itoa(r+2), cells); err != nil {
				return fmt.Errorf("xlsx sheet %q row %d: %w", t.Name, r+2, err)
			}
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("xlsx sheet %q: %w", t.Name, err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("xlsx write: %w", err)
	}
	return nil
}

const dash = "—"

// WriteCSV writes one table as CSV with a UTF-8 byte order mark, which
// Excel needs to read Chinese text correctly.
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	rec := make([]string, 0, len(t.Header))
	for _, row := range t.Rows {
		rec = rec[:0]
		for _, v := range row {
			rec = append(rec, csvValue(v))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvValue(v any) string {
	switch x := v.(type) {
	case Pct:
		return x.Text
	case Days:
		if !x.OK {
			return dash
		}
		return oneDecimal(x.V)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		// A cell starting with = + - @ is a formula to spreadsheet
		// programs opening a CSV; user text must stay text.
		if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
			return "'" + x
		}
		return x
	}
	return fmt.Sprint(v)
}

// XLSX renders tables as a workbook in memory.
func XLSX(tables []Table) ([]byte, error) {
	var b bytes.Buffer
	if err := WriteXLSX(&b, tables); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// CSV renders one table in memory.
func CSV(t Table) ([]byte, error) {
	var b bytes.Buffer
	if err := WriteCSV(&b, t); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
