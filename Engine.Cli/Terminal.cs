namespace DeepGpu.Cli;

/// <summary>Where a command writes: stdout for results, stderr for messages; interactive when a person watches.</summary>
internal sealed record Terminal(TextWriter Out, TextWriter Err, bool Interactive);
