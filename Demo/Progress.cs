using System.Diagnostics;
using System.Globalization;

namespace OrleansGuarantee.Demo;

/// <summary>
/// The seeding's progress on the terminal: steps done of the total, percent and the current phase. On a terminal it
/// is one bar redrawn in place (at most ten times a second); when the output goes to a pipe or a file (run.sh | tee,
/// CI logs) it is a plain line at each phase and every tenth of the way, so nothing depends on carriage returns.
/// Messages (<see cref="Line"/>) are printed above the bar. Safe to call from concurrent tasks.
/// </summary>
public sealed class Progress
{
    private const int BarWidth = 24;

    private readonly TextWriter _out;
    private readonly bool _interactive;
    private readonly Lock _lock = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _total;
    private int _done;
    private string _phase = "starting";
    private string? _detail;
    private long _lastDraw = -1000;
    private int _lastTenth = -1;
    private bool _barShown;

    public Progress(TextWriter output, bool interactive, int total)
    {
        _out = output;
        _interactive = interactive;
        _total = Math.Max(1, total);
    }

    public int Done { get { lock (_lock) return _done; } }

    public int Total { get { lock (_lock) return _total; } }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Starts a phase (a line of its own when piped).</summary>
    public void Phase(string name)
    {
        lock (_lock)
        {
            _phase = name;
            _detail = null;
            _lastTenth = _done * 10 / _total;
            if (_interactive) Draw(force: true);
            else _out.WriteLine(Render(_done, _total, _phase, null, width: 0, bar: false));
        }
    }

    /// <summary>Counts <paramref name="steps"/> more steps as done; <paramref name="detail"/> says what was just done.</summary>
    public void Advance(int steps = 1, string? detail = null)
    {
        if (steps <= 0 && detail is null) return;
        lock (_lock)
        {
            _done = Math.Min(_total, _done + Math.Max(0, steps));
            if (detail is not null) _detail = detail;
            if (_interactive)
            {
                Draw(force: false);
                return;
            }
            var tenth = _done * 10 / _total;
            if (tenth != _lastTenth)
            {
                _lastTenth = tenth;
                _out.WriteLine(Render(_done, _total, _phase, _detail, width: 0, bar: false));
            }
        }
    }

    /// <summary>A message above the bar (a retry, a finished phase).</summary>
    public void Line(string text)
    {
        lock (_lock)
        {
            if (_interactive && _barShown) _out.Write("\r\u001b[2K");
            _out.WriteLine(text);
            _barShown = false;
            if (_interactive) Draw(force: true);
        }
    }

    /// <summary>Marks every step done and ends the bar's line.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            _done = _total;
            _detail = null;
            _phase = "done";
            if (_interactive)
            {
                Draw(force: true);
                _out.WriteLine();
                _barShown = false;
            }
            else
            {
                _out.WriteLine(Render(_done, _total, _phase, null, width: 0, bar: false));
            }
        }
    }

    private void Draw(bool force)
    {
        var now = _clock.ElapsedMilliseconds;
        if (!force && now - _lastDraw < 100) return;
        _lastDraw = now;
        int width;
        try { width = Console.WindowWidth; }
        catch (IOException) { width = 0; }
        if (width <= 0) width = 80; // a terminal that does not say its size
        _out.Write("\r\u001b[2K" + Render(_done, _total, _phase, _detail, Math.Max(20, width - 1), bar: true));
        _out.Flush();
        _barShown = true;
    }

    /// <summary>
    /// One progress line: <c>[#####-----]  123/456  27%  phase: detail</c> with a bar, <c>123/456  27%  phase: detail</c>
    /// without. When <paramref name="width"/> is above 0 the line fits in it: the detail is cut first, then the bar is
    /// left out, so the counts, the percent and the phase stay readable on a narrow terminal.
    /// </summary>
    public static string Render(int done, int total, string phase, string? detail, int width, bool bar)
    {
        total = Math.Max(1, total);
        done = Math.Clamp(done, 0, total);
        var percent = done * 100 / total;
        var digits = total.ToString(CultureInfo.InvariantCulture).Length;
        var counts = $"{done.ToString(CultureInfo.InvariantCulture).PadLeft(digits)}/{total.ToString(CultureInfo.InvariantCulture)} {percent,3}%";
        var filled = done * BarWidth / total;
        var barText = bar ? $"[{new string('#', filled)}{new string('-', BarWidth - filled)}] " : "";
        var essential = counts + "  " + phase;
        var line = barText + essential + (string.IsNullOrEmpty(detail) ? "" : ": " + detail);
        if (width <= 0 || line.Length <= width) return line;
        if (barText.Length + essential.Length <= width - 8) return line[..(width - 1)] + "…"; // room for some of the detail
        line = barText.Length + essential.Length <= width ? barText + essential : essential;
        return line.Length <= width ? line : line[..(width - 1)] + "…";
    }
}
