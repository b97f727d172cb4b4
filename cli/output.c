/*-------------------------------------------------------------------------
 *
 * output.c
 *	  Results as aligned tables or JSON, and progress lines.
 *
 * A Table holds text cells with a type per column, so that the rows of a
 * server result and rows the client builds itself (push, adopt) print the
 * same way.  Results go to stdout; progress lines and messages to stderr,
 * so that "--json" output can be piped as it is.
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs from pg_type.dat that decide how a column prints in JSON. */
#define BOOLOID		16
#define INT8OID		20
#define INT2OID		21
#define INT4OID		23
#define OIDOID		26
#define JSONOID		114
#define FLOAT4OID	700
#define FLOAT8OID	701
#define NUMERICOID	1700
#define JSONBOID	3802

/*
 * An empty table with these columns (all text when "types" is NULL).
 */
Table *
table_new(int ncols, const char *const *names, const CellType *types)
{
	Table	   *t = xmalloc(sizeof(Table));
	int			i;

	t->ncols = ncols;
	t->names = xmalloc(sizeof(char *) * ncols);
	t->types = xmalloc(sizeof(CellType) * ncols);
	for (i = 0; i < ncols; i++)
	{
		t->names[i] = xstrdup(names[i]);
		t->types[i] = types ? types[i] : CELL_TEXT;
	}
	t->nrows = 0;
	t->cap = 16;
	t->rows = xmalloc(sizeof(char **) * t->cap);
	return t;
}

/*
 * How a column of this type prints in JSON.
 */
static CellType
cell_type_of(Oid type)
{
	switch (type)
	{
		case BOOLOID:
			return CELL_BOOL;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return CELL_NUMBER;
		case JSONOID:
		case JSONBOID:
			return CELL_JSON;
		default:
			return CELL_TEXT;
	}
}

/*
 * An empty table with the columns of a server result.
 */
Table *
table_for_result(const PGresult *res)
{
	int			n = PQnfields(res);
	const char **names = xmalloc(sizeof(char *) * (n ? n : 1));
	CellType   *types = xmalloc(sizeof(CellType) * (n ? n : 1));
	Table	   *t;
	int			i;

	for (i = 0; i < n; i++)
	{
		names[i] = PQfname(res, i);
		types[i] = cell_type_of(PQftype(res, i));
	}
	t = table_new(n, names, types);
	free(names);
	free(types);
	return t;
}

/*
 * Append a row; the values are copied, NULL pointers are SQL NULLs.
 */
void
table_add_row(Table *t, const char *const *values)
{
	char	  **row = xmalloc(sizeof(char *) * (t->ncols ? t->ncols : 1));
	int			i;

	for (i = 0; i < t->ncols; i++)
		row[i] = values[i] ? xstrdup(values[i]) : NULL;
	if (t->nrows == t->cap)
	{
		t->cap *= 2;
		t->rows = xrealloc(t->rows, sizeof(char **) * t->cap);
	}
	t->rows[t->nrows++] = row;
}

/*
 * Append the rows of a result whose columns match the table's.
 */
void
table_add_result(Table *t, const PGresult *res)
{
	int			r;
	int			c;
	const char **values = xmalloc(sizeof(char *) * (t->ncols ? t->ncols : 1));

	for (r = 0; r < PQntuples(res); r++)
	{
		for (c = 0; c < t->ncols && c < PQnfields(res); c++)
			values[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
		for (; c < t->ncols; c++)
			values[c] = NULL;
		table_add_row(t, values);
	}
	free(values);
}

/*
 * Index of a column by name, or -1.
 */
int
table_column(const Table *t, const char *name)
{
	int			i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->names[i], name) == 0)
			return i;
	return -1;
}

/*
 * Display width of a UTF-8 string: its number of characters, with a line
 * break shown as the two characters "\n".
 */
static int
display_width(const char *s)
{
	int			w = 0;

	for (; *s; s++)
	{
		if (*s == '\n')
			w += 2;
		else if (((unsigned char) *s & 0xC0) != 0x80)
			w++;
	}
	return w;
}

/*
 * One cell padded to "width"; the last column of a line is not padded on
 * the right, as psql does.
 */
static void
print_cell(FILE *out, const char *s, int width, bool right, bool last)
{
	int			pad = width - display_width(s);

	if (right)
		fprintf(out, "%*s", pad, "");
	for (; *s; s++)
	{
		if (*s == '\n')
			fputs("\\n", out);
		else if (*s != '\r')
			fputc(*s, out);
		else
			pad++;
	}
	if (!right && !last)
		fprintf(out, "%*s", pad, "");
}

/*
 * A JSON string literal.
 */
static void
print_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		switch (c)
		{
			case '"':
				fputs("\\\"", out);
				break;
			case '\\':
				fputs("\\\\", out);
				break;
			case '\n':
				fputs("\\n", out);
				break;
			case '\r':
				fputs("\\r", out);
				break;
			case '\t':
				fputs("\\t", out);
				break;
			default:
				if (c < 0x20)
					fprintf(out, "\\u%04x", c);
				else
					fputc(c, out);
		}
	}
	fputc('"', out);
}

/*
 * A cell as a JSON value of its column's type.
 */
static void
print_json_value(FILE *out, const char *v, CellType type)
{
	if (v == NULL)
		fputs("null", out);
	else if (type == CELL_BOOL)
		fputs(strcmp(v, "t") == 0 || strcmp(v, "true") == 0 ? "true" : "false", out);
	else if (type == CELL_NUMBER && strcmp(v, "NaN") != 0 &&
			 strstr(v, "Infinity") == NULL)
		fputs(v, out);
	else if (type == CELL_JSON)
		fputs(v, out);
	else
		print_json_string(out, v);
}

/*
 * Print a table: a JSON array of objects (one per row, keys in column
 * order), or aligned columns with a header and a row count, like psql.
 */
void
table_print(FILE *out, const Table *t, bool json)
{
	int		   *width;
	int			r;
	int			c;

	if (json)
	{
		fputc('[', out);
		for (r = 0; r < t->nrows; r++)
		{
			fputs(r ? ",\n  {" : "\n  {", out);
			for (c = 0; c < t->ncols; c++)
			{
				if (c)
					fputs(", ", out);
				print_json_string(out, t->names[c]);
				fputs(": ", out);
				print_json_value(out, t->rows[r][c], t->types[c]);
			}
			fputc('}', out);
		}
		fputs(t->nrows ? "\n]\n" : "]\n", out);
		return;
	}

	width = xmalloc(sizeof(int) * (t->ncols ? t->ncols : 1));
	for (c = 0; c < t->ncols; c++)
	{
		width[c] = display_width(t->names[c]);
		for (r = 0; r < t->nrows; r++)
		{
			const char *v = t->rows[r][c];
			int			w = v ? display_width(v) : 0;

			if (w > width[c])
				width[c] = w;
		}
	}
	for (c = 0; c < t->ncols; c++)
	{
		if (c)
			fputs(" | ", out);
		print_cell(out, t->names[c], width[c], false, c == t->ncols - 1);
	}
	fputc('\n', out);
	for (c = 0; c < t->ncols; c++)
	{
		int			i;

		if (c)
			fputs("-+-", out);
		for (i = 0; i < width[c]; i++)
			fputc('-', out);
	}
	fputc('\n', out);
	for (r = 0; r < t->nrows; r++)
	{
		for (c = 0; c < t->ncols; c++)
		{
			const char *v = t->rows[r][c];

			if (c)
				fputs(" | ", out);
			print_cell(out, v ? v : "", width[c], t->types[c] == CELL_NUMBER,
					   c == t->ncols - 1);
		}
		fputc('\n', out);
	}
	fprintf(out, "(%d row%s)\n", t->nrows, t->nrows == 1 ? "" : "s");
	free(width);
}

/*
 * One progress line on stderr, unless --quiet.
 */
void
progress(const CliOptions *opts, const char *fmt,...)
{
	va_list		ap;

	if (opts->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}
