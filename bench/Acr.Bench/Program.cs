using Acr.Bench;
using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "pool-probe")
{
    return PoolProbe.Run();
}

if (args.Length > 0 && args[0] == "kernels-quick")
{
    return QuickKernels.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "conv-quick")
{
    return QuickConv.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "score-memory")
{
    return ScoreInMemory.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "gemm-quick")
{
    return QuickGemm.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
