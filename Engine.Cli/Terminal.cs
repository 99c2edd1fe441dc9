namespace DeepGpu.Cli;

/// <summary>
/// Where a command writes: stdout for results, stderr for messages; interactive when a person watches. Cancel
/// stops a long run as Ctrl-C does.
/// </summary>
internal sealed record Terminal(TextWriter Out, TextWriter Err, bool Interactive, CancellationToken Cancel = default);
