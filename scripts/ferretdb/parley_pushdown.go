// Parley's pushdown for FerretDB's SQLite backend (not part of FerretDB; applied by Parley's
// scripts/lib/infra.ts before it builds FerretDB, see scripts/ferretdb/README.md).
//
// FerretDB 1.24 sends SQLite only a filter that is exactly one `_id` equality; any other query reads
// and decodes every document of the collection in Go, and sorts them all in memory. This file lets
// SQLite answer equality, range and `$in` conditions on top-level fields, and a sort, from an index:
//
//   - Each index gets a companion index on the fields' SQL values (`_ferretdb_sjson->>'$.f'`): strings
//     compare there as MongoDB compares them (UTF-8 bytes, unescaped), numbers numerically (1 = 1.0).
//     FerretDB's own indexes are on the JSON text (`->"f"`), where "10" < "9" and escapes reorder
//     strings; they stay as they are, so unique constraints keep FerretDB's exact semantics.
//   - SQL values lose MongoDB's type brackets (a date and a number are both numbers there, an array is
//     text). So every write records the BSON types each top-level field has held in the collection
//     (`_ferretdb_parley_types`; never removed, so it only grows), and a condition or a sort is sent to
//     SQLite only when the field has held one kind of value (strings; numbers; dates; booleans;
//     ObjectIds), with null or missing allowed beside it, and the operand is of that kind. Then SQL's
//     answer and order are MongoDB's: no arrays (whose elements MongoDB would match), no mixed types.
//   - The handler still applies the whole filter to every document SQLite returns, so a condition may
//     only narrow to a superset of the answer; a pushed-down sort is exact, and the handler then skips
//     its in-memory sort and stops reading at the limit.
//
// Collections written before this patch are scanned once, at their first use, for their field types
// (and their companion indexes are built then).
package sqlite

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/fsql"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// parleyTypesTable records, per table, every (top-level field, BSON type) pair ever written.
const parleyTypesTable = "_ferretdb_parley_types"

// parleyScanned marks a table whose documents from before the patch have been scanned.
const parleyScanned = "scanned"

// parleyMaxIn bounds an `$in` list sent to SQLite (SQLite allows 32,766 variables per statement).
const parleyMaxIn = 1000

// parleyDeleteChunk bounds one DELETE's list of ids, for the same reason.
const parleyDeleteChunk = 5000

// parleySimpleField is a field name that can be written into a JSON path without quoting.
var parleySimpleField = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parleyValueExpr is the SQL value of a top-level field: the expression of the companion indexes,
// which queries must repeat exactly for SQLite to use them.
func parleyValueExpr(field string) string {
	return fmt.Sprintf("%s->>'$.%s'", metadata.DefaultColumn, field)
}

// parleyCompanionName is the companion index of FerretDB's index `name` on `table`.
func parleyCompanionName(table, name string) string {
	return table + "_" + name + "$q"
}

// parleyKind groups the BSON types whose SQL values compare as MongoDB compares them among each
// other; "" means a type that is never pushed down (arrays, objects, binary, regex, timestamps).
func parleyKind(bsonType string) string {
	switch bsonType {
	case "string", "date", "bool", "objectId", "null":
		return bsonType
	case "int", "long", "double":
		return "number"
	default:
		return ""
	}
}

// parleyOperand returns the kind and SQL value of a query operand, or false if it is not pushed down.
func parleyOperand(v any) (string, any, bool) {
	switch v := v.(type) {
	case string:
		return "string", v, true
	case types.ObjectID:
		return "objectId", hex.EncodeToString(v[:]), true
	case int32:
		return "number", int64(v), true
	case int64:
		return "number", v, true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "", nil, false
		}

		return "number", v, true
	case bool:
		if v {
			return "bool", int64(1), true
		}

		return "bool", int64(0), true
	case time.Time:
		return "date", v.UnixMilli(), true
	default:
		return "", nil, false
	}
}

// parleyTableKey identifies a table in one open database (a dropped and recreated database is a new handle).
type parleyTableKey struct {
	db    *fsql.DB
	table string
}

// parleyTable is what Parley's pushdown knows about one table.
type parleyTable struct {
	mu       sync.Mutex
	loaded   bool
	types    map[string]map[string]struct{} // field -> BSON types it has held
	indexSig string                         // the indexes whose companions exist
}

var parleyTables sync.Map // parleyTableKey -> *parleyTable

// parleyTableFor returns the table's state, after recording the types of its documents from before
// the patch (once) and creating the companions of its indexes (whenever its indexes changed).
func parleyTableFor(ctx context.Context, db *fsql.DB, meta *metadata.Collection) (*parleyTable, error) {
	v, _ := parleyTables.LoadOrStore(parleyTableKey{db: db, table: meta.TableName}, new(parleyTable))
	t := v.(*parleyTable)

	t.mu.Lock()
	defer t.mu.Unlock()

	if !t.loaded {
		if err := t.load(ctx, db, meta.TableName); err != nil {
			return nil, lazyerrors.Error(err)
		}
	}

	sig := parleyIndexSignature(meta)
	if sig != t.indexSig {
		if err := parleyCreateCompanions(ctx, db, meta); err != nil {
			return nil, lazyerrors.Error(err)
		}

		t.indexSig = sig
	}

	return t, nil
}

func (t *parleyTable) load(ctx context.Context, db *fsql.DB, table string) error {
	create := fmt.Sprintf(
		`CREATE TABLE IF NOT EXISTS %q (table_name TEXT NOT NULL, field TEXT NOT NULL, type TEXT NOT NULL, `+
			`PRIMARY KEY (table_name, field, type)) WITHOUT ROWID`,
		parleyTypesTable,
	)
	if _, err := db.ExecContext(ctx, create); err != nil {
		return lazyerrors.Error(err)
	}

	// Each statement below runs alone: a write statement takes SQLite's write lock when it starts,
	// waiting for other writers (busy_timeout), where a transaction that read first could not upgrade.
	var n int
	q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE table_name = ? AND field = '' AND type = ?`, parleyTypesTable)
	if err := db.QueryRowContext(ctx, q, table, parleyScanned).Scan(&n); err != nil {
		return lazyerrors.Error(err)
	}

	if n == 0 {
		// Every stored document carries its fields' types in its schema, `$s.p.<field>.t`. Writes
		// that run meanwhile record their own types; a scan cut short runs again (the marker is last).
		scan := fmt.Sprintf(
			`INSERT OR IGNORE INTO %q (table_name, field, type) SELECT DISTINCT ?, p.key, p.value->>'$.t' `+
				`FROM %q AS d, json_each(d.%s, '$."$s".p') AS p`,
			parleyTypesTable, table, metadata.DefaultColumn,
		)
		if _, err := db.ExecContext(ctx, scan, table); err != nil {
			return lazyerrors.Error(err)
		}

		mark := fmt.Sprintf(`INSERT OR IGNORE INTO %q (table_name, field, type) VALUES (?, '', ?)`, parleyTypesTable)
		if _, err := db.ExecContext(ctx, mark, table, parleyScanned); err != nil {
			return lazyerrors.Error(err)
		}
	}

	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT field, type FROM %q WHERE table_name = ? AND field != ''`, parleyTypesTable), table)
	if err != nil {
		return lazyerrors.Error(err)
	}
	defer rows.Close()

	t.types = map[string]map[string]struct{}{}

	for rows.Next() {
		var field, typ string
		if err = rows.Scan(&field, &typ); err != nil {
			return lazyerrors.Error(err)
		}

		t.addLocked(field, typ)
	}

	if err = rows.Err(); err != nil {
		return lazyerrors.Error(err)
	}

	t.loaded = true

	return nil
}

func (t *parleyTable) addLocked(field, typ string) {
	if t.types[field] == nil {
		t.types[field] = map[string]struct{}{}
	}

	t.types[field][typ] = struct{}{}
}

// parleyFieldType is one (field, BSON type) pair of a written document.
type parleyFieldType struct{ field, typ string }

// record stores, inside the write's transaction, the field types of docs that the table has not held
// before. The caller passes what it returns to commit once the transaction has committed, so that a
// rolled-back write never leaves a type in memory that the database lacks.
func (t *parleyTable) record(ctx context.Context, tx *fsql.Tx, table string, docs []*types.Document) ([]parleyFieldType, error) {
	seen := map[parleyFieldType]struct{}{}

	t.mu.Lock()

	for _, doc := range docs {
		iter := doc.Iterator()

		for {
			field, v, err := iter.Next()
			if err != nil {
				break
			}

			ft := parleyFieldType{field: field, typ: sjson.GetTypeOfValue(v)}
			if _, ok := t.types[field][ft.typ]; !ok {
				seen[ft] = struct{}{}
			}
		}

		iter.Close()
	}

	t.mu.Unlock()

	pending := make([]parleyFieldType, 0, len(seen))
	q := fmt.Sprintf(`INSERT OR IGNORE INTO %q (table_name, field, type) VALUES (?, ?, ?)`, parleyTypesTable)

	for ft := range seen {
		if _, err := tx.ExecContext(ctx, q, table, ft.field, ft.typ); err != nil {
			return nil, lazyerrors.Error(err)
		}

		pending = append(pending, ft)
	}

	return pending, nil
}

// commit adds the recorded types of a committed write to memory.
func (t *parleyTable) commit(pending []parleyFieldType) {
	if len(pending) == 0 {
		return
	}

	t.mu.Lock()
	defer t.mu.Unlock()

	for _, ft := range pending {
		t.addLocked(ft.field, ft.typ)
	}
}

// kind returns the one kind of value the field has held ("" if it never held any but null or nothing),
// or false if it held several kinds or a kind that is never pushed down.
func (t *parleyTable) kind(field string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()

	var kind string

	for typ := range t.types[field] {
		k := parleyKind(typ)

		switch {
		case k == "":
			return "", false
		case k == "null":
		case kind == "":
			kind = k
		case kind != k:
			return "", false
		}
	}

	return kind, true
}

func parleyIndexSignature(meta *metadata.Collection) string {
	var sb strings.Builder

	for _, index := range meta.Settings.Indexes {
		sb.WriteString(index.Name)
		sb.WriteByte(0)

		for _, key := range index.Key {
			sb.WriteString(key.Field)
			sb.WriteByte(1)
		}
	}

	return sb.String()
}

// parleyCreateCompanions creates the companion of every index whose fields are all top-level.
func parleyCreateCompanions(ctx context.Context, db *fsql.DB, meta *metadata.Collection) error {
	for _, index := range meta.Settings.Indexes {
		columns := make([]string, 0, len(index.Key))

		for _, key := range index.Key {
			if !parleySimpleField.MatchString(key.Field) {
				columns = nil
				break
			}

			column := parleyValueExpr(key.Field)
			if key.Descending {
				column += " DESC"
			}

			columns = append(columns, column)
		}

		if len(columns) == 0 {
			continue
		}

		q := fmt.Sprintf(
			`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`,
			parleyCompanionName(meta.TableName, index.Name), meta.TableName, strings.Join(columns, ", "),
		)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return lazyerrors.Error(err)
		}
	}

	return nil
}

// parleyQueryPlan is the WHERE and ORDER BY clauses sent to SQLite for a query.
type parleyQueryPlan struct {
	where   string
	args    []any
	orderBy string // empty if the sort is left to the handler
}

// parleyPlanQuery translates what it can of a filter and a sort into SQL; see the file comment.
func parleyPlanQuery(ctx context.Context, db *fsql.DB, meta *metadata.Collection, filter, sort *types.Document) (*parleyQueryPlan, error) {
	var t *parleyTable

	if filter.Len() > 0 || sort.Len() > 0 {
		var err error
		if t, err = parleyTableFor(ctx, db, meta); err != nil {
			return nil, lazyerrors.Error(err)
		}
	}

	var conds []string
	var args []any

	var idCond string
	var idArgs []any

	filterIter := filter.Iterator()
	defer filterIter.Close()

	for filter != nil {
		field, value, err := filterIter.Next()
		if err != nil {
			break
		}

		if field == "_id" {
			c, a := parleyIDCondition(value)
			if c != "" {
				// An `_id` lookup reads at most as many rows as it names: send it alone. With other
				// conditions beside it, SQLite (which keeps no statistics) may prefer another field's
				// index, e.g. all `dispatched: true` events over a batch of 1,000 ids. The handler
				// checks the rest of the filter on the rows it reads.
				idCond, idArgs = c, a

				continue
			}
		}

		if !parleySimpleField.MatchString(field) {
			continue
		}

		fieldKind, ok := t.kind(field)
		if !ok {
			continue
		}

		for _, op := range parleyOperators(value) {
			c, a := parleyCondition(field, fieldKind, op.name, op.value)
			if c != "" {
				conds = append(conds, c)
				args = append(args, a...)
			}
		}
	}

	if idCond != "" {
		conds, args = []string{idCond}, idArgs
	}

	plan := &parleyQueryPlan{args: args}
	if len(conds) > 0 {
		plan.where = " WHERE " + strings.Join(conds, " AND ")
	}

	if sort.Len() == 0 {
		return plan, nil
	}

	terms := make([]string, 0, sort.Len())

	for _, field := range sort.Keys() {
		if !parleySimpleField.MatchString(field) {
			return plan, nil
		}

		if _, ok := t.kind(field); !ok {
			return plan, nil
		}

		order, _ := must.NotFail(sort.Get(field)).(int64)

		switch order {
		case 1:
			terms = append(terms, parleyValueExpr(field))
		case -1:
			terms = append(terms, parleyValueExpr(field)+" DESC")
		default:
			return plan, nil
		}
	}

	plan.orderBy = " ORDER BY " + strings.Join(terms, ", ")

	return plan, nil
}

// parleyIDCondition serves an `_id` equality or `$in` of strings and ObjectIds from the primary
// index, comparing JSON text as FerretDB's own `_id` lookup does (`_id` is never an array).
func parleyIDCondition(v any) (string, []any) {
	switch v := v.(type) {
	case string, types.ObjectID:
		return metadata.IDColumn + " = ?", []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
	case *types.Document:
		if v.Len() != 1 {
			return "", nil
		}

		if eq, err := v.Get("$eq"); err == nil {
			return parleyIDCondition(eq)
		}

		in, err := v.Get("$in")
		if err != nil {
			return "", nil
		}

		arr, ok := in.(*types.Array)
		if !ok || arr.Len() == 0 || arr.Len() > parleyMaxIn {
			return "", nil
		}

		args := make([]any, 0, arr.Len())

		for i := 0; i < arr.Len(); i++ {
			switch e := must.NotFail(arr.Get(i)).(type) {
			case string, types.ObjectID:
				args = append(args, string(must.NotFail(sjson.MarshalSingleValue(e))))
			default:
				return "", nil
			}
		}

		return metadata.IDColumn + " IN (" + strings.Repeat("?, ", len(args)-1) + "?)", args
	}

	return "", nil
}

type parleyOp struct {
	name  string
	value any
}

// parleyOperators lists a filter value's conditions: a plain value is `$eq`; an operator document
// gives each of its operators (those not pushed down are skipped: the rest still narrow the answer);
// a document with a field that is not an operator is an equality with a document, never pushed down.
func parleyOperators(v any) []parleyOp {
	doc, ok := v.(*types.Document)
	if !ok {
		return []parleyOp{{name: "$eq", value: v}}
	}

	ops := make([]parleyOp, 0, doc.Len())

	iter := doc.Iterator()
	defer iter.Close()

	for {
		k, v, err := iter.Next()
		if err != nil {
			break
		}

		if !strings.HasPrefix(k, "$") {
			return nil
		}

		ops = append(ops, parleyOp{name: k, value: v})
	}

	return ops
}

// parleyCondition is the SQL for one operator on a field that has held only fieldKind values
// ("" for a field that never held a value): the operand must be of the same kind.
func parleyCondition(field, fieldKind, op string, operand any) (string, []any) {
	sqlOp := map[string]string{"$eq": "=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}[op]

	if sqlOp != "" {
		kind, value, ok := parleyOperand(operand)
		if !ok || (fieldKind != "" && kind != fieldKind) {
			return "", nil
		}

		return fmt.Sprintf("%s %s ?", parleyValueExpr(field), sqlOp), []any{value}
	}

	if op != "$in" {
		return "", nil
	}

	arr, ok := operand.(*types.Array)
	if !ok || arr.Len() == 0 || arr.Len() > parleyMaxIn {
		return "", nil
	}

	args := make([]any, 0, arr.Len())

	for i := 0; i < arr.Len(); i++ {
		kind, value, ok := parleyOperand(must.NotFail(arr.Get(i)))
		if !ok || (fieldKind != "" && kind != fieldKind) {
			return "", nil
		}

		args = append(args, value)
	}

	return fmt.Sprintf("%s IN (%s?)", parleyValueExpr(field), strings.Repeat("?, ", len(args)-1)), args
}

// parleyDeleteIn deletes rows whose column is in args, in chunks that stay under SQLite's variable
// limit (one DELETE with more than 32,766 ids failed with "too many SQL variables"), in one transaction.
func parleyDeleteIn(ctx context.Context, db *fsql.DB, table, column string, args []any) (int64, error) {
	var deleted int64

	if len(args) == 0 {
		return 0, nil
	}

	err := db.InTransaction(ctx, func(tx *fsql.Tx) error {
		for len(args) > 0 {
			chunk := args[:min(parleyDeleteChunk, len(args))]
			args = args[len(chunk):]

			q := fmt.Sprintf(`DELETE FROM %q WHERE %s IN (%s?)`, table, column, strings.Repeat("?, ", len(chunk)-1))

			res, err := tx.ExecContext(ctx, q, chunk...)
			if err != nil {
				return lazyerrors.Error(err)
			}

			n, err := res.RowsAffected()
			if err != nil {
				return lazyerrors.Error(err)
			}

			deleted += n
		}

		return nil
	})

	return deleted, err
}

// parleyForget drops what Parley knows of a table before the table is dropped, so that a collection
// created again under the same table name starts with no recorded types and gets its companion indexes.
// (A write racing the drop can only leave a type recorded that the table no longer holds: that makes
// the pushdown more careful, never wrong.)
func parleyForget(ctx context.Context, db *fsql.DB, table string) error {
	parleyTables.Delete(parleyTableKey{db: db, table: table})

	q := fmt.Sprintf(`DELETE FROM %q WHERE table_name = ?`, parleyTypesTable)
	if _, err := db.ExecContext(ctx, q, table); err != nil && !strings.Contains(err.Error(), "no such table") {
		return lazyerrors.Error(err)
	}

	return nil
}
