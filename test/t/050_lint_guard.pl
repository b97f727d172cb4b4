# lint and the guard agree.  For every statement of the regression suite
# (sql/*.sql) and of the Hydra corpus, the destructive findings lint reports
# (rule, object) must equal what the guard judges for the same statement in
# the same state.
#
# Black box: each script is cut into units, a unit being what the guard
# sees as one transaction (a statement on its own, a BEGIN ... COMMIT block,
# one Hydra migration).  Right before a unit runs, migrator.lint() judges
# its text in the catalog state the unit starts from, so lint's notion of
# "new" (created earlier in the same script, by name) meets the guard's
# (created in the current transaction, in the catalog).  The unit then runs
# with migrator.guard = warn, which reports every finding the guard would
# refuse as a WARNING (and one a standing exemption covers as a NOTICE) and
# lets the statement run, so later units see the state the earlier ones
# left; statements that set migrator.guard, ALTER DATABASE / ROLE / SYSTEM
# SET included, are left out.  Findings are compared statement by statement.
#
# Only DELETE (rule delete_rows) is left out: it is not a utility statement,
# so the guard never sees it (documented in docs/guard.md); register()
# refuses it without a plan instead.  A statement that failed (and those
# after it in its block, which never ran) or did nothing (IF EXISTS of a
# missing object) destroyed nothing whatever was judged, and statements
# that run others (DO, SELECT of a function, CALL) are judged by the guard
# through what they run, which lint does not see, as register() does not.
# The differences that are right on both sides are listed in %expected
# below (see newness.c): the guard knows at run time that a table was
# never written, or that a database carries no protection marker; lint
# cannot know that it will be so when the migration applies.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('agree', conf => "log_min_messages = fatal\n");
$node->safe_psql('postgres',
	'ALTER SYSTEM SET migrator.guard = warn; SELECT pg_reload_conf()');

sub slurp
{
	my ($path) = @_;
	open my $fh, '<', $path or die "$path: $!";
	local $/;
	return <$fh>;
}

# Cut psql input into items: {meta => line} for a psql meta-command, {sql =>
# text} for a statement.  Statements end with a semicolon at the end of a
# line outside quotes, as the regression suite writes them.
sub split_psql
{
	my ($text) = @_;
	my (@items, $buf, $dollar, $quote);
	$buf = '';
	for my $line (split /\n/, $text)
	{
		if ($buf eq '' && $line =~ /^\s*\\/)
		{
			push @items, { meta => $line };
			next;
		}
		next if $buf eq '' && $line =~ /^\s*(--.*)?$/;
		$buf .= "$line\n";
		# track dollar quotes, single quotes and comments through the line;
		# $code is the line without its trailing comment
		my $code = '';
		my $rest = $line;
		while ($rest ne '')
		{
			if (defined $dollar)
			{
				if ($rest =~ s/^(.*?\Q$dollar\E)//) { $code .= $1; undef $dollar; }
				else { $code .= $rest; $rest = ''; }
			}
			elsif ($quote)
			{
				if ($rest =~ s/^(.*?')//) { $code .= $1; $quote = 0; }
				else { $code .= $rest; $rest = ''; }
			}
			elsif ($rest =~ s/^(.*?)(\$\w*\$|'|--)//)
			{
				$code .= $1;
				if ($2 eq '--') { $rest = ''; }
				elsif ($2 eq "'") { $code .= "'"; $quote = 1; }
				else { $code .= $2; $dollar = $2; }
			}
			else { $code .= $rest; $rest = ''; }
		}
		if (!defined $dollar && !$quote && $code =~ /;\s*$/)
		{
			push @items, { sql => $buf };
			$buf = '';
		}
	}
	push @items, { sql => $buf } if $buf =~ /\S/;
	return @items;
}

# Group items into units: a statement outside a block, or a whole block.
sub units
{
	my @items = @_;
	my (@out, $block);
	for my $it (@items)
	{
		if (exists $it->{meta})
		{
			if ($block) { push @{ $block->{items} }, $it; }
			else { push @out, $it; }
			next;
		}
		my $sql = $it->{sql};
		# the guard's own setting stays at warn for the whole run
		$sql = "SELECT 'migrator.guard stays warn';\n"
		  if $sql =~ /^\s*(SET|RESET|SELECT\s+set_config|ALTER\s+(DATABASE|ROLE|SYSTEM)\s+\S+(\s+IN\s+DATABASE\s+\S+)?\s+(SET|RESET))\b.*migrator\.guard/is;
		$it = { sql => $sql };
		if (!$block && $sql =~ /^\s*(BEGIN|START\s+TRANSACTION)\b/i)
		{
			$block = { items => [$it] };
			next;
		}
		if ($block)
		{
			push @{ $block->{items} }, $it;
			if ($sql =~ /^\s*(COMMIT|ROLLBACK|END|ABORT)\b/i)
			{
				push @out, $block;
				undef $block;
			}
			next;
		}
		push @out, { items => [$it] };
	}
	push @out, $block if $block;
	return @out;
}

# A meta-command as the run uses it: the guard's DETAIL line names the
# rule, so messages stay verbose.
sub meta_line
{
	my ($meta) = @_;
	return "\\echo verbosity stays default\n" if $meta =~ /^\s*\\set\s+VERBOSITY\b/;
	return "$meta\n";
}

# Write the psql file that lints and runs every unit; returns its path and
# the map from a line of it to (unit, statement).
my $tmp = $ENV{MIGRATOR_AGREE_KEEP} || PostgreSQL::Test::Utils::tempdir();
my $nfile = 0;
sub build_run
{
	my ($name, @units) = @_;
	my $path = "$tmp/" . (++$nfile) . ".sql";
	my (@out, %at, %unit_text);
	my $line = 0;
	my $emit = sub { for (split /\n/, join('', @_)) { push @out, $_; $line++; } };
	my $n = 0;
	for my $u (@units)
	{
		if (exists $u->{meta})
		{
			$emit->(meta_line($u->{meta}));
			next;
		}
		$n++;
		my @stmts = grep { exists $_->{sql} } @{ $u->{items} };
		my $text = join('', map { $_->{sql} } @stmts);
		my $tag = 'agree';
		$tag .= 'x' while $text =~ /\$$tag\$/;
		$unit_text{$n} = $text;
		# lint as the session user, in the state the unit starts from
		$emit->("\\set agree_lint '?'\n",
			"SELECT current_user AS agree_role \\gset\n",
			"RESET ROLE;\n",
			"SELECT coalesce(string_agg(l.statement || ' ' || l.rule || ' ' || "
			  . "coalesce(substring(l.message from '^[^\"]*\"(.*)\" is destructive\$'), ''), "
			  . "' ;; ' ORDER BY l.statement, l.location), '') AS agree_lint "
			  . "FROM migrator.lint(\$$tag\$$text\$$tag\$) l "
			  . "WHERE l.rule IN (SELECT rule FROM migrator.rules() WHERE kind = 'destructive') \\gset\n",
			"SET ROLE :\"agree_role\";\n",
			"\\warn '\@\@lint $n ' :'agree_lint'\n");
		my $s = 0;
		for my $it (@{ $u->{items} })
		{
			if (exists $it->{meta})
			{
				$emit->(meta_line($it->{meta}));
				next;
			}
			$s++;
			$emit->($it->{sql});
			$at{$line} = [ $n, $s ];
		}
		$emit->("\\warn '\@\@end $n'\n");
	}
	open my $fh, '>', $path or die $!;
	print $fh join("\n", @out), "\n";
	close $fh;
	return ($path, \%at, \%unit_text);
}

# Statements whose guard findings come from statements nested in them
# (DO blocks, functions, migrator's own calls running scripts, extension
# scripts): lint sees
# the outer text only, as register() does (docs/guard.md: statements inside
# DO blocks, functions and EXECUTE are not seen at registration).
my $nested = qr/^\s*(DO|SELECT|CALL|EXECUTE|WITH|VALUES|INSERT|UPDATE|DELETE|MERGE|CREATE\s+EXTENSION|ALTER\s+EXTENSION)\b/i;

# Statements lint and the guard judge differently, by right, and why.
my %expected = (
	# sql/28_review_publications.sql: the publication that publishes the
	# table was created earlier in the same transaction; lint asks the
	# catalog which publications publish a table, not the script
	'ALTER TABLE other.t REPLICA IDENTITY DEFAULT;' =>
	  'published by a publication the same script created: the catalog tells the guard, not lint',
	'DROP INDEX app.log_full_at;' =>
	  'covered by migrator.allow() earlier in its transaction, which lint does not read',
	"ALTER TABLE app.orders DROP CONSTRAINT orders_pkey;" =>
	  'covered by migrator.allow() earlier in its transaction, which lint does not read',
	'TRUNCATE TABLE ONLY app.old_empty;' =>
	  'an old table never written: empty for the guard now, unknown to lint at apply time',
	'ALTER TABLE t ALTER COLUMN v SET DEFAULT NULL::int + 0;' =>
	  'a default that folds to NULL: the guard looks at the stored default, lint at the raw expression',
	'ALTER TABLE t ALTER COLUMN v SET DEFAULT CASE WHEN false THEN 1 END;' =>
	  'a default that folds to NULL: the guard looks at the stored default, lint at the raw expression',
	# sql/28_review_temporary.sql: the guard reads the dependencies a
	# statement recorded (pg_depend); lint sees the parse tree, where a
	# regclass or regconfig literal, an operator or a replaced view's body
	# does not show that a temporary object is reached
	q{ALTER TABLE app.customers ALTER COLUMN note SET DEFAULT nextval('tseq')::text;} =>
	  'a dependency on a temporary object that only pg_depend shows',
	q{ALTER DOMAIN app.posint SET DEFAULT nextval('tseq');} =>
	  'a dependency on a temporary object that only pg_depend shows',
	q{ALTER TABLE app.customers ALTER COLUMN note SET DEFAULT ('a' OPERATOR(pg_temp.===) 'b');} =>
	  'a dependency on a temporary object that only pg_depend shows',
	q{ALTER TABLE app.customers ALTER COLUMN note SET DEFAULT to_tsvector('pg_temp.cfg'::regconfig, 'x')::text;} =>
	  'a dependency on a temporary object that only pg_depend shows',
	q{CREATE OR REPLACE VIEW app.v_customers AS SELECT id, note FROM app.customers WHERE pg_temp.yes();} =>
	  'a dependency on a temporary object that only pg_depend shows',
	q{CREATE OR REPLACE VIEW app.v_top AS SELECT id FROM app.v_customers WHERE id < 10 AND (NULL::pg_temp.tt) IS NULL;} =>
	  'a dependency on a temporary object that only pg_depend shows',
	q{ALTER POLICY own ON app.secrets USING (owner = current_user AND 'ttab'::regclass IS NOT NULL);} =>
	  'a dependency on a temporary object that only pg_depend shows',
	q{CREATE FUNCTION app.f_std(t text) RETURNS text LANGUAGE sql RETURN t OPERATOR(pg_temp.===) 'x';} =>
	  'a dependency on a temporary object that only pg_depend shows',
	q{CREATE MATERIALIZED VIEW app.mv_r AS SELECT id, 'ttab'::regclass::oid AS r FROM app.customers;} =>
	  'a dependency on a temporary object that only pg_depend shows',
	'CREATE TABLE app.ctas_coll AS SELECT note FROM tnotes;' =>
	  'a dependency on a temporary object that only pg_depend shows',
	'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE app.ctas_explain AS SELECT note FROM tnotes;' =>
	  'a dependency on a temporary object that only pg_depend shows',
	'ALTER DOMAIN app.posint SET DEFAULT NULL::int + 0;' =>
	  'a domain default that folds to NULL: the guard looks at the stored default, lint at the raw expression',
	'ALTER TABLE app.events_archive ALTER COLUMN at SET DEFAULT NULL;' =>
	  'an inherited column of a table with rows: the guard sees the rows, lint cannot know them at apply time',
	'DROP EXTENSION hstore;' =>
	  'covered by migrator.allow() earlier in its transaction, which lint does not read',
	'ALTER TABLE app.orders REPLICA IDENTITY NOTHING;' =>
	  'covered by migrator.allow() earlier in its transaction, which lint does not read',
	'DROP FUNCTION app.ov(int4);' =>
	  'covered by migrator.allow() earlier in its transaction, which lint does not read',
	'ALTER TABLE app.customers ALTER COLUMN code TYPE character varying(5) USING left( code , 5 );' =>
	  'covered by migrator.allow() earlier in its transaction, which lint does not read',
);

# Run a built file and compare.  Returns (compared statements, disagreements).
sub run_and_compare
{
	my ($name, $db, @units) = @_;
	my ($path, $at, $texts) = build_run($name, @units);
	my ($stdout, $stderr);
	$node->psql($db, undef, extra_params => [ '-f', $path ],
		stdout => \$stdout, stderr => \$stderr, on_error_stop => 0);
	if ($ENV{MIGRATOR_AGREE_KEEP})
	{
		open my $out, '>', "$path.stderr" or die $!;
		print $out $stderr;
		close $out;
		diag("kept $path and $path.stderr");
	}
	my (%lint, %guard, %failed, %noop, %skip, @dis);
	my @lines = split /\n/, $stderr;
	for (my $i = 0; $i < @lines; $i++)
	{
		my $l = $lines[$i];
		if ($l =~ /^\@\@lint (\d+)\s+'(.*)'$/)
		{
			my $u = $1;
			my $found = $2 =~ s/''/'/gr;
			if ($found eq '?') { $skip{$u} = 1; next; }
			for my $f (split / ;; /, $found)
			{
				my ($s, $rule, $obj) = $f =~ /^(\d+) (\w+) ?(.*)$/ or next;
				next if $rule eq 'delete_rows';
				push @{ $lint{$u}{$s} }, "$rule $obj";
			}
			next;
		}
		my ($ln, $level, $msg) = $l =~ /^psql:[^:]*:(\d+): (\w+):  (.*)$/ or next;
		my $where = $at->{$ln} or next;
		my ($u, $s) = @$where;
		# a standing exemption (rollout.c) covers it: warn mode says so, with
		# the rule, as it reports a would-be refusal
		if (($level eq 'WARNING' && $msg =~ /^unplanned destructive statement .*?(?: on "(.*)")?$/)
			|| ($level eq 'NOTICE'
				&& $msg =~ /^destructive statement .*?(?: on "(.*)")? runs under standing exemption \d+$/))
		{
			my $obj = $1 // '';
			my ($rule) = ($lines[ $i + 1 ] // '') =~ /^DETAIL:  Rule (\w+) /;
			push @{ $guard{$u}{$s} }, ($rule // '?') . " $obj";
		}
		elsif ($level eq 'ERROR')
		{
			$failed{$u} = $s if !defined $failed{$u} || $s < $failed{$u};
		}
		elsif ($level eq 'NOTICE' && $msg =~ /does not exist, skipping$/)
		{
			$noop{$u}{$s} = 1;
		}
	}
	my %count = (compared => 0, failed => 0, noop => 0, nested => 0, expected => 0, unprotected => 0);
	for my $u (sort { $a <=> $b } keys %$texts)
	{
		next if $skip{$u};
		my @st = split_psql($texts->{$u});
		for my $s (1 .. scalar @st)
		{
			my $sql = $st[ $s - 1 ]{sql} // '';
			my $l = join(', ', sort @{ $lint{$u}{$s} // [] });
			my $g = join(', ', sort @{ $guard{$u}{$s} // [] });
			# A statement that failed, or every one after it in its block,
			# destroyed nothing, whatever was judged.
			if (defined $failed{$u} && $s >= $failed{$u}) { $count{failed}++; next; }
			if ($noop{$u}{$s}) { $count{noop}++; next; }
			if ($sql =~ $nested) { $count{nested}++; next; }
			$count{compared}++;
			next if $l eq $g;
			$sql =~ s/\s+/ /g;
			$sql =~ s/^ | $//g;
			if ($expected{$sql})
			{
				$count{expected}++;
				next;
			}
			# DROP DATABASE of a database without migrator's marker (the
			# tests drop theirs after dropping the extension, or as the
			# warn-mode run dropped it): the guard reads the marker at run
			# time and leaves such a database alone; lint cannot know the
			# marker at apply time and reports drop_database.
			if ($sql =~ /^DROP DATABASE \w+;$/ && $g eq '' && $l =~ /^drop_database \w+$/)
			{
				$count{unprotected}++;
				next;
			}
			push @dis, "$name unit $u statement $s: lint [$l] guard [$g]: " . substr($sql, 0, 160);
		}
	}
	return (\%count, @dis);
}

my @all_dis;
my %total = (compared => 0, failed => 0, noop => 0, nested => 0, expected => 0, unprotected => 0);

# The regression suite, file by file, as pg_regress runs it.
for my $file (sort glob('sql/*.sql'))
{
	my ($count, @dis) = run_and_compare($file, 'postgres', units(split_psql(slurp($file))));
	$total{$_} += $count->{$_} for keys %$count;
	push @all_dis, @dis;
}
note(join(', ', map { "$_ $total{$_}" } sort keys %total));
cmp_ok($total{compared}, '>', 250, "regression suite: $total{compared} statements judged by both");
is($total{expected}, scalar(keys %expected), 'each expected difference occurs');

# The Hydra corpus: each migration a unit, in version order, on a fresh
# database.  Non-transactional ones run statement by statement.
my $dir = ($ENV{MIGRATOR_CORPORA} // '../shared/corpora') . '/hydra/migrations';
SKIP:
{
	skip "no hydra corpus at $dir", 1 unless -d $dir;
	$node->safe_psql('postgres', 'CREATE DATABASE hydra');
	$node->safe_psql('hydra', 'CREATE EXTENSION migrator');
	my @units;
	opendir my $dh, $dir or die $!;
	for my $up (sort grep { /\.up\.sql$/ } readdir $dh)
	{
		my @items = split_psql(slurp("$dir/$up"));
		if ($up =~ /\.autocommit\./)
		{
			push @units, map { { items => [$_] } } @items;
		}
		else
		{
			push @units, { items => [ { sql => "BEGIN;\n" }, @items, { sql => "COMMIT;\n" } ] };
		}
	}
	closedir $dh;
	my ($count, @dis) = run_and_compare('hydra', 'hydra', @units);
	note(join(', ', map { "$_ $count->{$_}" } sort keys %$count));
	is($count->{failed}, 0, 'hydra: every statement runs');
	cmp_ok($count->{compared}, '>', 800, "hydra: $count->{compared} statements judged by both");
	push @all_dis, @dis;
}

is(join("\n", @all_dis), '', 'lint and the guard report the same destructive findings');

$node->stop;
done_testing();
