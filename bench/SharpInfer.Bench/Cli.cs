namespace SharpInfer.Bench;

/// <summary>Subcommands: probe, make-models, compare.</summary>
public static class Cli
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help") { Usage(); return args.Length == 0 ? 2 : 0; }
        try
        {
            var o = Options.Parse(args[1..]);
            switch (args[0])
            {
                case "probe":
                    NativeProbe.Configure(o.Verbose);
                    var (lib, avx, info) = NativeProbe.Describe();
                    Console.WriteLine($"library: {lib}");
                    Console.WriteLine($"avx level: {avx}");
                    Console.WriteLine($"system info: {info}");
                    return 0;
                case "make-models":
                    ModelFactory.MakeAll(o);
                    return 0;
                case "verify-quantizer":
                    NativeProbe.Configure(o.Verbose);
                    return QuantizerCheck.Run(o) ? 0 : 1;
                case "compare":
                    NativeProbe.Configure(o.Verbose);
                    Comparison.Run(o);
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown command '{args[0]}'");
                    Usage();
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"bench: {e.Message}");
            return 2;
        }
    }

    private static void Usage() => Console.Error.WriteLine("""
        usage: SharpInfer.Bench COMMAND [options]
          probe                     load llama.cpp's native library and print which build it picked
          make-models               write random-weight models into --out (skips files that exist)
          verify-quantizer          quantize the F16 masters with llama.cpp too and compare bytes (Q4_K_M, Q5_K_M)
          compare                   SharpInfer vs llama.cpp, interleaved, markdown table to stdout and --results
        options:
          --out DIR                 where models live (default bench/out)
          --models a,b              llama-1b, qwen2-0.5b (default: both)
          --types a,b               F16, Q8_0, Q6_K, Q4_K_M, Q4_0, ... (default: F16,Q8_0,Q6_K,Q4_K_M,Q4_0)
          --seed N                  random weights' seed (default 1)
          -r N                      repetitions (default 5)
          -t N                      threads for both runtimes (default: physical cores)
          -p N                      prompt length, ppN (default 512; 0 skips)
          -n N                      generation length, tgN (default 128; 0 skips)
          --fa                      llama.cpp flash attention on (default off, as llama-bench at c0c7e147)
          --commit TEXT             SharpInfer commit to note in the results
          --results FILE            markdown output (default OUT/results.md)
          --verbose                 show llama.cpp's log
        """);
}
