/*-------------------------------------------------------------------------
 *
 * version.c
 *	  Natural ordering of migration versions.
 *
 * Versions sort part by part: a run of ASCII digits compares as a number
 * ('2' < '10', '1.9' < '1.10', 20-digit timestamps), any other run compares
 * byte by byte, and a number sorts before text at the same position.  Ties
 * between spellings of the same number ('01' and '1') are broken by the raw
 * bytes, so the order is total.
 *
 * The order is expressed once, as a sort key (migrator.version_key()), which
 * the SQL side uses in ORDER BY and the C side compares with memcmp.
 * check_version_argument() says what a version may be: not blank, and
 * without control characters.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "migrator.h"
#include "version.h"

PG_FUNCTION_INFO_V1(migrator_version_key);

/*
 * Append the sort key of "version" to "buf".
 *
 * A digit run becomes 0x01, its length without leading zeros as two bytes,
 * then those digits; any other run becomes 0x02, its bytes, then 0x00.
 * Versions never contain control characters, so 0x00 cannot occur inside.
 */
static void
version_sort_key(const char *version, StringInfo buf)
{
	const char *p = version;

	while (*p)
	{
		const char *start = p;

		if (isdigit((unsigned char) *p))
		{
			int			len;

			while (*p == '0' && isdigit((unsigned char) p[1]))
				p++;
			start = p;
			while (isdigit((unsigned char) *p))
				p++;
			len = Min(p - start, 0xFFFF);
			appendStringInfoChar(buf, 0x01);
			appendStringInfoChar(buf, (char) ((len >> 8) & 0xFF));
			appendStringInfoChar(buf, (char) (len & 0xFF));
			appendBinaryStringInfo(buf, start, p - start);
		}
		else
		{
			while (*p && !isdigit((unsigned char) *p))
				p++;
			appendStringInfoChar(buf, 0x02);
			appendBinaryStringInfo(buf, start, p - start);
			appendStringInfoChar(buf, 0x00);
		}
	}
}

/*
 * Compare two versions in natural order; returns <0, 0 or >0.
 */
int
version_compare(const char *a, const char *b)
{
	StringInfoData ka;
	StringInfoData kb;
	int			cmp;

	initStringInfo(&ka);
	initStringInfo(&kb);
	version_sort_key(a, &ka);
	version_sort_key(b, &kb);
	cmp = memcmp(ka.data, kb.data, Min(ka.len, kb.len));
	if (cmp == 0)
		cmp = (ka.len > kb.len) - (ka.len < kb.len);
	if (cmp == 0)
		cmp = strcmp(a, b);
	pfree(ka.data);
	pfree(kb.data);
	return cmp;
}

/*
 * migrator.version_key(version text) RETURNS bytea
 *
 * The natural sort key of a version; ORDER BY version_key(v), v gives the
 * same order as version_compare().
 */
Datum
migrator_version_key(PG_FUNCTION_ARGS)
{
	char	   *version = text_to_cstring(PG_GETARG_TEXT_PP(0));
	StringInfoData key;
	bytea	   *result;

	initStringInfo(&key);
	version_sort_key(version, &key);
	result = (bytea *) palloc(VARHDRSZ + key.len);
	SET_VARSIZE(result, VARHDRSZ + key.len);
	memcpy(VARDATA(result), key.data, key.len);
	PG_RETURN_BYTEA_P(result);
}

/*
 * Refuse a version that is NULL, blank, or holds control characters.
 */
void
check_version_argument(const char *version, const char *argname)
{
	const unsigned char *p;
	bool		blank = true;

	if (version == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", argname)));
	for (p = (const unsigned char *) version; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid migration version \"%s\"", version),
					 errdetail("Versions must not contain control characters.")));
		if (*p != ' ')
			blank = false;
	}
	if (blank)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration version must not be empty")));
}
