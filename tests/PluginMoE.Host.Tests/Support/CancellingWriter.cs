// Captured console output that cancels a token when a line starting with a given text is written, to stop a
// run at a chosen training step from inside the test (the plain progress writes one line per step).
using System.Text;

namespace PluginMoE.Host.Tests.Support;

public sealed class CancellingWriter(string trigger, CancellationTokenSource cancel) : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly StringBuilder _line = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        _text.Append(value);
        if (value != '\n')
        {
            _line.Append(value);
            return;
        }
        if (_line.ToString().StartsWith(trigger, StringComparison.Ordinal)) cancel.Cancel();
        _line.Clear();
    }

    public override string ToString() => _text.ToString();
}
