# Runs the examples of a Markdown page as shown (test/t/090_docs.pl).
#
# A fenced block whose info string is "sql run" or "sh run" is an example
# that must run: SQL through psql -X (one session per block, as a DBA types
# it), shell through bash (one shell per block; exported variables and the
# working directory carry over to the next sh block, as in a terminal).
# When the next fenced block has the info string "output", the combined
# stdout and stderr must match it, where
#   - "..." inside a line matches any text, and a line of only "..." any
#     number of lines;
#   - trailing blanks of each line and blank lines at the end do not count;
#   - durations (00:00:00.0012) compare equal to any duration.
# A block without an output block must succeed: psql must print no ERROR,
# bash must exit 0.  "sql skip" and "sh skip" mark an example that is shown
# but not run (the page should say why).  A line
#   <!-- example: new database -->
# (invisible on the rendered page) makes the examples after it run in a
# new database, for a page whose sections need different histories.
package DocExamples;

use strict;
use warnings;
use File::Temp qw(tempdir);
use IPC::Run;

use Exporter 'import';
our @EXPORT = qw(doc_blocks doc_run_block doc_output_matches);

# The fenced blocks of a Markdown file, in order: hashes with lang, attrs
# (a hash of the words after the language), text and line (1-based line of
# the opening fence), and for runnable blocks "output" (the text of the
# output block that follows, or undef).
sub doc_blocks
{
	my ($file) = @_;
	open my $fh, '<', $file or die "$file: $!";
	my @lines = <$fh>;
	close $fh;

	my @blocks;
	my $i = 0;
	while ($i < @lines)
	{
		if ($lines[$i] =~ /^\s*<!--\s*example:\s*new database\s*-->\s*$/)
		{
			push @blocks, { lang => 'new database', attrs => {}, text => '',
				line => $i + 1 };
		}
		elsif ($lines[$i] =~ /^(\s*)(```+|~~~+)\s*([^`\s]*)\s*(.*?)\s*$/)
		{
			my ($indent, $fence, $lang, $rest) = ($1, $2, $3, $4);
			my $start = $i + 1;
			my @body;
			$i++;
			while ($i < @lines && $lines[$i] !~ /^\s*\Q$fence\E\s*$/)
			{
				my $l = $lines[$i];
				$l =~ s/^\Q$indent\E//;
				push @body, $l;
				$i++;
			}
			my %attrs = map { $_ => 1 } split /\s+/, $rest;
			push @blocks,
			  { lang => $lang, attrs => \%attrs, text => join('', @body),
				line => $start };
		}
		$i++;
	}

	# Attach each output block to the runnable block right before it.
	for my $n (0 .. $#blocks - 1)
	{
		next unless $blocks[ $n + 1 ]{lang} eq 'output';
		$blocks[$n]{output} = $blocks[ $n + 1 ]{text};
	}
	return @blocks;
}

# Normalise text for comparison: trailing blanks, final blank lines,
# durations, and paths of the private installation ($prefix) shown as the
# system paths they stand for.
sub normalise
{
	my ($text, $prefix) = @_;
	$text =~ s/\Q$prefix\E//g if defined $prefix && $prefix ne '';
	$text =~ s/\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b/HH:MM:SS/g;
	my @lines = map { s/\s+$//r } split /\n/, $text, -1;
	pop @lines while @lines && $lines[-1] eq '';
	shift @lines while @lines && $lines[0] eq '';
	return @lines;
}

# Whether the actual output matches the shown one (see the header).
sub doc_output_matches
{
	my ($actual, $shown, $prefix) = @_;
	my @got = normalise($actual, $prefix);
	my @want = normalise($shown, undef);
	my $re = '';
	for my $w (@want)
	{
		if ($w eq '...')
		{
			$re .= '(?:[^\n]*\n)*?';
		}
		else
		{
			$re .= join('[^\n]*', map { quotemeta } split /\.\.\./, $w, -1) . '\n';
		}
	}
	my $text = join('', map { "$_\n" } @got);
	return $text =~ /\A$re\z/;
}

# Run one block; returns (ok, output, why).  $state is a hash kept between
# calls for one page: the shell's exported variables and directory.
sub doc_run_block
{
	my ($block, $state) = @_;
	my $out = '';
	if ($block->{lang} eq 'sql')
	{
		my $sql = $block->{text};
		IPC::Run::run([ 'psql', '-X' ], '<', \$sql, '>&', \$out);
		my $rc = $? >> 8;
		return (0, $out, "psql exited with $rc") if $rc != 0;
		return (0, $out, 'psql printed an error')
		  if !defined $block->{output} && $out =~ /^(ERROR|FATAL|PANIC):/m;
		return (1, $out, undef);
	}
	if ($block->{lang} eq 'sh')
	{
		$state->{dir} //= tempdir(CLEANUP => 1);
		my $env = "$state->{dir}/env";
		my $cwd = "$state->{dir}/cwd";
		my $script = "$state->{dir}/block.sh";
		open my $fh, '>', $script or die $!;
		print $fh "set -e\n";
		print $fh ". '$env'\n" if -f $env;
		print $fh "cd \"\$(cat '$cwd')\"\n" if -f $cwd;
		print $fh $block->{text};
		print $fh "\nexport -p | grep -v -E '^declare -x (PWD|OLDPWD|SHLVL|_)=' > '$env'\n";
		print $fh "pwd > '$cwd'\n";
		close $fh;
		IPC::Run::run([ 'bash', $script ], '<', \'', '>&', \$out);
		my $rc = $? >> 8;
		return (0, $out, "bash exited with $rc") if $rc != 0;
		return (1, $out, undef);
	}
	return (0, '', "cannot run a block of language \"$block->{lang}\"");
}

1;
