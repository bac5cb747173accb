namespace SharpInfer.Cli;

/// <summary>
/// A one-line progress bar on stderr, drawn only when stderr is a terminal (never into logs or
/// pipes) and only once an operation has run long enough to be worth watching.
/// </summary>
internal sealed class ProgressBar : IDisposable
{
    private readonly string _label;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly bool _enabled = !Console.IsErrorRedirected;
    private int _lastPercent = -1;
    private bool _drawn;

    public ProgressBar(string label) => _label = label;

    public void Report(float fraction)
    {
        if (!_enabled || _clock.ElapsedMilliseconds < 250) return;
        var percent = (int)Math.Clamp(fraction * 100, 0, 100);
        if (percent == _lastPercent) return;
        _lastPercent = percent;
        const int width = 40;
        var filled = percent * width / 100;
        Console.Error.Write($"\r{_label} [{new string('#', filled)}{new string('.', width - filled)}] {percent,3}%");
        _drawn = true;
    }

    public void Dispose()
    {
        if (_drawn) Console.Error.Write("\r" + new string(' ', _label.Length + 50) + "\r");
    }
}
