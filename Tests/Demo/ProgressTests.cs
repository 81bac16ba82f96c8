using OrleansGuarantee.Demo;

namespace OrleansGuarantee.Tests.Demo;

/// <summary>The seeder's progress output: a bar on a terminal, plain lines when piped.</summary>
public sealed class ProgressTests
{
    [Theory]
    [InlineData(0, 200, "[------------------------]   0/200   0%  members")]
    [InlineData(50, 200, "[######------------------]  50/200  25%  members")]
    [InlineData(200, 200, "[########################] 200/200 100%  members")]
    [InlineData(250, 200, "[########################] 200/200 100%  members")]
    public void The_bar_shows_steps_done_of_the_total_and_percent(int done, int total, string expected) =>
        Assert.Equal(expected, Progress.Render(done, total, "members", null, width: 0, bar: true));

    [Fact]
    public void Without_a_bar_the_line_is_plain_and_a_long_line_is_cut_to_the_width()
    {
        Assert.Equal(" 7/40  17%  deals: asel proposes completed-1", Progress.Render(7, 40, "deals", "asel proposes completed-1", width: 0, bar: false));
        var cut = Progress.Render(7, 40, "deals", new string('x', 200), width: 60, bar: true);
        Assert.Equal(60, cut.Length);
        Assert.StartsWith("[####--------------------]  7/40  17%  deals: xxx", cut);
        Assert.EndsWith("…", cut);
        // Narrower: the detail goes, then the bar; the counts and the phase stay.
        Assert.Equal("[####--------------------]  7/40  17%  deals", Progress.Render(7, 40, "deals", "asel proposes", width: 48, bar: true));
        Assert.Equal(" 7/40  17%  deals", Progress.Render(7, 40, "deals", "asel proposes", width: 30, bar: true));
    }

    [Fact]
    public void Piped_output_is_a_line_per_phase_and_per_tenth_without_carriage_returns()
    {
        var output = new StringWriter();
        var progress = new Progress(output, interactive: false, total: 100);
        progress.Phase("members");
        for (var i = 0; i < 100; i++) progress.Advance(1, $"m{i}");
        progress.Line("  members: 100 made");
        progress.Finish();
        var text = output.ToString();
        Assert.DoesNotContain('\r', text);
        Assert.DoesNotContain('\u001b', text);
        var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        // The phase, one line at each tenth (10%..100%), the message and the end.
        Assert.Equal(13, lines.Length);
        Assert.Equal("  0/100   0%  members", lines[0]);
        Assert.Equal(" 10/100  10%  members: m9", lines[1]);
        Assert.Equal("100/100 100%  members: m99", lines[10]);
        Assert.Equal("  members: 100 made", lines[11]);
        Assert.Equal("100/100 100%  done", lines[12]);
    }

    [Fact]
    public void On_a_terminal_the_bar_is_redrawn_in_place_and_messages_go_above_it()
    {
        var output = new StringWriter();
        var progress = new Progress(output, interactive: true, total: 10);
        progress.Phase("deposits");
        progress.Line("retry: 503");
        progress.Finish();
        var text = output.ToString();
        Assert.StartsWith("\r\u001b[2K[", text);
        Assert.Contains("\r\u001b[2Kretry: 503" + Environment.NewLine, text);
        Assert.EndsWith("10/10 100%  done" + Environment.NewLine, text);
    }
}
