-- Everything that defines the installed migrator extension, one line per
-- fact, sorted: its members (functions with their full definition, tables
-- with columns, defaults, constraints, indexes, triggers and their enabled
-- state, sequences, the event trigger, the schema), owners, privileges,
-- comments, and the tables pg_dump keeps.  Two databases print the same
-- text when their installations are the same, whatever path (a fresh
-- CREATE EXTENSION, or an older version and ALTER EXTENSION UPDATE) built
-- them.  OIDs, which differ between databases, never appear.
WITH ext AS (
    SELECT * FROM pg_catalog.pg_extension WHERE extname = 'migrator'
), member AS (
    SELECT d.classid, d.objid
      FROM pg_catalog.pg_depend AS d, ext
     WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass
       AND d.refobjid = ext.oid AND d.deptype = 'e'
), member_rel AS (
    SELECT c.* FROM pg_catalog.pg_class AS c JOIN member AS m
        ON m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid
), fact(line) AS (
    SELECT 'extension: relocatable=' || extrelocatable || ' schema=' || extnamespace::regnamespace
           || ' owner=' || extowner::regrole
      FROM ext
    UNION ALL
    SELECT 'dumped table: ' || cfg::regclass || ' condition=' || coalesce(cond, '')
      FROM ext, unnest(extconfig, extcondition) AS u(cfg, cond)
    UNION ALL
    SELECT 'member: ' || pg_catalog.pg_describe_object(classid, objid, 0) FROM member
    UNION ALL
    -- routines: definition (arguments, result, language, volatility,
    -- security, settings, body), owner, privileges, comment
    SELECT 'routine ' || p.oid::regprocedure || ': ' || pg_catalog.pg_get_functiondef(p.oid)
           || ' owner=' || p.proowner::regrole || ' acl=' || coalesce(p.proacl::text, 'default')
           || ' comment=' || coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '')
      FROM pg_catalog.pg_proc AS p JOIN member AS m
        ON m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT 'relation ' || c.oid::regclass || ': kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text
           || ' options=' || coalesce(c.reloptions::text, '') || ' owner=' || c.relowner::regrole
           || ' acl=' || coalesce(c.relacl::text, 'default')
           || ' comment=' || coalesce(pg_catalog.obj_description(c.oid, 'pg_class'), '')
      FROM member_rel AS c
    UNION ALL
    -- columns in their order (position among the live columns, so that
    -- a column dropped and added again would show)
    SELECT 'column ' || c.oid::regclass || ' #' || pg_catalog.lpad((row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::text, 3, '0')
           || ' ' || a.attname
           || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || coalesce(' default ' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '')
           || coalesce(' collate ' || nullif(a.attcollation, 0)::regcollation::text, '')
           || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
           || ' acl=' || coalesce(a.attacl::text, 'default')
           || ' comment=' || coalesce(pg_catalog.col_description(c.oid, a.attnum), '')
      FROM member_rel AS c
      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid
      LEFT JOIN pg_catalog.pg_attrdef AS ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint ' || c.oid::regclass || ' ' || k.conname || ': '
           || pg_catalog.pg_get_constraintdef(k.oid)
      FROM member_rel AS c JOIN pg_catalog.pg_constraint AS k ON k.conrelid = c.oid
    UNION ALL
    SELECT 'index ' || c.oid::regclass || ': ' || pg_catalog.pg_get_indexdef(i.indexrelid)
      FROM member_rel AS c JOIN pg_catalog.pg_index AS i ON i.indrelid = c.oid
    UNION ALL
    SELECT 'trigger ' || c.oid::regclass || ': ' || pg_catalog.pg_get_triggerdef(t.oid)
           || ' enabled=' || t.tgenabled::text
      FROM member_rel AS c JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = c.oid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'sequence ' || s.seqrelid::regclass || ': ' || pg_catalog.format_type(s.seqtypid, NULL)
           || ' start=' || s.seqstart || ' increment=' || s.seqincrement || ' min=' || s.seqmin
           || ' max=' || s.seqmax || ' cache=' || s.seqcache || ' cycle=' || s.seqcycle
           || ' owned by=' || coalesce((SELECT d.refobjid::regclass || '.' || a.attname
                                          FROM pg_catalog.pg_depend AS d
                                          JOIN pg_catalog.pg_attribute AS a
                                            ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                         WHERE d.classid = 'pg_catalog.pg_class'::regclass
                                           AND d.objid = s.seqrelid AND d.deptype = 'a'), '')
      FROM member_rel AS c JOIN pg_catalog.pg_sequence AS s ON s.seqrelid = c.oid
    UNION ALL
    SELECT 'event trigger ' || e.evtname || ': on ' || e.evtevent || ' execute '
           || e.evtfoid::regprocedure || ' enabled=' || e.evtenabled::text
           || ' tags=' || coalesce(e.evttags::text, '') || ' owner=' || e.evtowner::regrole
      FROM pg_catalog.pg_event_trigger AS e JOIN member AS m
        ON m.classid = 'pg_catalog.pg_event_trigger'::regclass AND m.objid = e.oid
    UNION ALL
    SELECT 'schema ' || n.nspname || ': owner=' || n.nspowner::regrole
           || ' acl=' || coalesce(n.nspacl::text, 'default')
           || ' comment=' || coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace'), '')
      FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'migrator'
    UNION ALL
    -- objects in the schema that are not members would be left behind by
    -- an upgrade script that forgot to drop or add them
    SELECT 'not a member: ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::regclass, c.oid, 0)
      FROM pg_catalog.pg_class AS c
     WHERE c.relnamespace = 'migrator'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'S', 'f', 'p')
       AND NOT EXISTS (SELECT 1 FROM member AS m
                        WHERE m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid)
    UNION ALL
    SELECT 'not a member: ' || p.oid::regprocedure
      FROM pg_catalog.pg_proc AS p
     WHERE p.pronamespace = 'migrator'::regnamespace
       AND NOT EXISTS (SELECT 1 FROM member AS m
                        WHERE m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid)
)
SELECT line FROM fact ORDER BY line COLLATE "C";
