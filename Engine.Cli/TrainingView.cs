using System.Text.Json;
using DeepGpu.Cli.Commands;
using DeepGpu.Training;
using Spectre.Console;

namespace DeepGpu.Cli;

/// <summary>
/// Renders training progress: a live bar per epoch for a person at a terminal, one line per epoch when
/// output is redirected, or one JSON object per epoch with --json.
/// </summary>
internal sealed class TrainingView : IDisposable
{
    private readonly Terminal _terminal;
    private readonly bool _json;
    private readonly string _testName;
    private readonly string _trainNote;
    private readonly IAnsiConsole? _ansi;

    /// <param name="dropout">Whether the net has dropout, which is on while the train accuracy is scored.</param>
    public TrainingView(Terminal terminal, bool json, string testName, bool dropout)
    {
        _trainNote = dropout ? " (dropout on)" : "";
        _terminal = terminal;
        _json = json;
        _testName = testName;
        if (!json && terminal.Interactive)
        {
            _ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(terminal.Out) });
        }
    }

    public void OnProgress(StepProgress p)
    {
        if (_ansi is null) return;
        // One line that fits the terminal, so \r redraws it in place instead of wrapping.
        var text = $"epoch {p.Epoch} {p.Step}/{p.StepsPerEpoch} loss {p.RunningLoss:F4} acc {p.RunningAccuracy:P1} {p.ImagesPerSecond:N0} img/s";
        var width = Math.Clamp(TerminalWidth - text.Length - 3, 0, 30);
        var filled = (int)Math.Round(width * (double)p.Step / p.StepsPerEpoch);
        var bar = width > 0 ? new string('█', filled) + new string('░', width - filled) + " " : "";
        var line = bar + text;
        if (line.Length > TerminalWidth - 1) line = line[..(TerminalWidth - 1)];
        _ansi.Write(new Text("\r" + line.PadRight(TerminalWidth - 1)));
    }

    public void OnEpoch(EpochMetrics m)
    {
        if (_json)
        {
            _terminal.Out.WriteLine(JsonSerializer.Serialize(m, CliJson.Options));
            return;
        }
        var line = $"epoch {m.Epoch}/{m.Epochs}  train loss {m.TrainLoss:F4}  train acc {m.TrainAccuracy:P2}{_trainNote}  {_testName} acc {m.TestAccuracy:P2}  {m.ImagesPerSecond:N0} img/s  {m.Seconds:F1} s";
        if (_ansi is not null) _ansi.Write(new Text("\r" + line.PadRight(TerminalWidth - 1) + "\n"));
        else _terminal.Out.WriteLine(line);
    }

    private static int TerminalWidth
    {
        get
        {
            try
            {
                return Console.WindowWidth > 10 ? Console.WindowWidth : 80;
            }
            catch (IOException)
            {
                return 80;
            }
        }
    }

    public void Dispose() { }
}
