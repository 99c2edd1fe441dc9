using BenchmarkDotNet.Running;
using DeepGpu.Benchmarks;

// `quick ...` runs the Stopwatch harness; anything else goes to BenchmarkDotNet (add --smoke for the short config).
if (args.Length > 0 && args[0] == "quick") return Quick.Run(args[1..]);
var smoke = args.Contains("--smoke");
var rest = args.Where(a => a != "--smoke").ToArray();
BenchmarkSwitcher.FromAssembly(typeof(Quick).Assembly).Run(rest, smoke ? Configs.Smoke() : Configs.Full());
return 0;
