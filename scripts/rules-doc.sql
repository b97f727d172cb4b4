-- The rule table of docs/reference.md, rendered from migrator.rules() as
-- Markdown: one table per kind, in the order of the rule table, with the
-- hint once above the table when every rule of the kind has the same one.
-- Run with psql -X -A -t in a database that has the extension:
-- scripts/rules-doc.sh writes the result into docs/reference.md (make
-- rules-doc) and test/t/091_rules_doc.pl compares it with the page.
WITH r AS (
    SELECT rule, kind, severity, rewrites, description, hint, n
      FROM migrator.rules() WITH ORDINALITY
           AS r(rule, kind, severity, rewrites, description, hint, n)
),
k AS (
    SELECT kind, min(n) AS first, count(DISTINCT hint) = 1 AS one_hint,
           min(hint) AS hint
      FROM r GROUP BY kind
)
SELECT string_agg(section, E'\n\n' ORDER BY first)
  FROM (SELECT k.first,
               concat_ws(E'\n',
                   format('Kind `%s`%s', k.kind,
                          CASE WHEN k.one_hint THEN ', every rule with the hint: ' || k.hint ELSE ':' END),
                   '',
                   CASE WHEN k.one_hint
                        THEN E'| rule | severity | rewrites | description |\n| --- | --- | --- | --- |'
                        ELSE E'| rule | severity | rewrites | description | hint |\n| --- | --- | --- | --- | --- |' END,
                   (SELECT string_agg(
                               format('| `%s` | %s | %s | %s |%s', r.rule, r.severity,
                                      CASE WHEN r.rewrites THEN 'yes' ELSE 'no' END,
                                      replace(r.description, '|', '\|'),
                                      CASE WHEN k.one_hint THEN ''
                                           ELSE ' ' || replace(r.hint, '|', '\|') || ' |' END),
                               E'\n' ORDER BY r.n)
                      FROM r WHERE r.kind = k.kind)) AS section
          FROM k) AS s;
