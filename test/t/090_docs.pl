# The documentation, checked against the code it describes:
#   - every example of README.md runs as shown, in order, against a
#     throwaway cluster: the shell examples (make, make install, the client,
#     make uninstall) and the SQL examples (one psql session each), and
#     where output is shown it must match (test/lib/DocExamples.pm);
#   - the runnable examples of docs/*.md ("sql run", "sh run") run the same
#     way, each page in a fresh database that has the extension;
#   - no document names a path outside the repository, and every relative
#     link points to a file of the repository (and to a heading that exists).
#
# The README installs and uninstalls: it runs against a private copy of the
# test installation, so the other tests keep theirs.  "sudo" is not used:
# the page's root steps run as the test's user, who owns that copy.
use strict;
use warnings;
use Cwd qw(getcwd);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use DocExamples;

my $root = getcwd();
my $show = $ENV{MIGRATOR_DOCS_SHOW};

# A private copy of the installation the suite built (tmp_install/).
my $tmp_install = $ENV{MIGRATOR_TMP_INSTALL}
  or plan skip_all => 'MIGRATOR_TMP_INSTALL is not set: run through make test';
my $bindir = `pg_config --bindir`;
chomp $bindir;
$bindir =~ s/^\Q$tmp_install\E//;
my $copy = tempdir('docs-install-XXXX', TMPDIR => 1, CLEANUP => 1);
system('cp', '-a', "$tmp_install/.", $copy) == 0 or die "cp: $?";
$ENV{PATH} = "$copy$bindir:$ENV{PATH}";

my $node = PostgreSQL::Test::Cluster->new('docs');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'migrator'\nlc_messages = 'C'\n");
$node->start;
$ENV{PGHOST} = $node->host;
$ENV{PGPORT} = $node->port;
delete $ENV{PGOPTIONS};
delete $ENV{PGAPPNAME};

# Runs the runnable blocks of one page; returns how many sql/sh blocks it
# has that are neither run nor skipped.  "<!-- example: new database -->"
# switches to a new database with the extension, named after $db.
sub run_page
{
	my ($file, $db) = @_;
	my $databases = 0;
	my %state = (dir => tempdir(CLEANUP => 1));
	open my $fh, '>', "$state{dir}/cwd" or die $!;
	print $fh "$root\n";
	close $fh;
	my $unmarked = 0;
	for my $b (doc_blocks($file))
	{
		if ($b->{lang} eq 'new database')
		{
			my $new = $db . '_' . ++$databases;
			$node->safe_psql('postgres', "CREATE DATABASE $new");
			$node->safe_psql($new, 'CREATE EXTENSION migrator');
			$ENV{PGDATABASE} = $new;
			next;
		}
		next unless $b->{lang} eq 'sql' || $b->{lang} eq 'sh';
		my $where = "$file:$b->{line}";
		if ($b->{attrs}{skip})
		{
			note "$where: shown, not run";
			next;
		}
		if (!$b->{attrs}{run})
		{
			$unmarked++;
			note "$where: not marked run";
			next;
		}
		my ($ok, $out, $why) = doc_run_block($b, \%state);
		if ($ok && defined $b->{output}
			&& !doc_output_matches($out, $b->{output}, $copy))
		{
			$ok = 0;
			$why = 'its output differs from the output shown';
		}
		if ($ok && defined $b->{output}
			&& $out =~ /^(ERROR|FATAL|PANIC):/m && $b->{output} !~ /^$1:/m)
		{
			$ok = 0;
			$why = "it printed an $1 the output shown has not";
		}
		$out =~ s/\Q$copy\E//g;
		ok($ok, "$where: $b->{lang} example runs as shown")
		  or diag("$where: $why\n--- the example:\n$b->{text}--- printed:\n$out"
			  . (defined $b->{output} ? "--- shown:\n$b->{output}" : ''));
		note("$where printed:\n$out") if $show;
	}
	return $unmarked;
}

# The pages under docs/, each in a database of its own with the extension.
for my $page (sort glob 'docs/*.md')
{
	my @runnable = grep { ($_->{lang} eq 'sql' || $_->{lang} eq 'sh')
		  && $_->{attrs}{run} } doc_blocks($page);
	next unless @runnable;
	(my $db = $page) =~ s{^docs/|\.md$}{}g;
	$db = "docs_$db" =~ s/[^a-z0-9_]/_/gr;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION migrator');
	local $ENV{PGDATABASE} = $db;
	run_page($page, $db);
}

# The README last: it installs, uses and uninstalls, in database "app".
{
	local $ENV{PGDATABASE} = 'app';
	is(run_page('README.md', 'app'), 0,
		'every SQL and shell example of README.md is run (or marked skip)');
}

# Paths and links in every document of the repository.
my @docs = ('README.md', 'CHANGELOG.md', 'bench/README.md', sort glob 'docs/*.md');
my %anchors;
for my $doc (@docs)
{
	open my $fh, '<', $doc or die "$doc: $!";
	my $text = do { local $/; <$fh> };
	close $fh;
	my %seen;
	my $in_fence = 0;
	for my $line (split /\n/, $text)
	{
		$in_fence = !$in_fence if $line =~ /^\s*(```|~~~)/;
		next if $in_fence;
		next unless $line =~ /^#+\s+(.*)$/;
		my $slug = lc $1;
		$slug =~ s/[^\w\- ]//g;
		$slug =~ s/ /-/g;
		my $n = $seen{$slug}++;
		$anchors{$doc}{ $n ? "$slug-$n" : $slug } = 1;
	}
}
for my $doc (@docs)
{
	open my $fh, '<', $doc or die "$doc: $!";
	my $text = do { local $/; <$fh> };
	close $fh;
	my @outside = $text =~ m{(/work/\S*|\.\./shared\S*|/home/\S*)}g;
	ok(!@outside, "$doc names no path outside the repository")
	  or diag("found: @outside");

	my @bad;
	while ($text =~ /\]\(([^)\s]+)\)/g)
	{
		my $link = $1;
		next if $link =~ m{^[a-z]+:};
		my ($path, $anchor) = split /#/, $link, 2;
		my $target = $path eq '' ? $doc : dirname($doc) . "/$path";
		$target =~ s{^\./}{};
		1 while $target =~ s{[^/]+/\.\./}{};
		if ($target =~ m{^\.\./} || !-e $target)
		{
			push @bad, "$link (no file $target in the repository)";
			next;
		}
		push @bad, "$link (no heading #$anchor in $target)"
		  if defined $anchor && $target =~ /\.md$/
		  && !$anchors{$target}{$anchor};
	}
	ok(!@bad, "$doc: every relative link resolves") or diag(join("\n", @bad));
}

$node->stop;
done_testing();
