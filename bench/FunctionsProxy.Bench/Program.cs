using FunctionsProxy.Bench;

// bench [--quick] [--duration 5s] [--proxy-dll path]   run everything and print the report
// bench upstream --port N [--big]                      the fast pre-serialised OpenAI-compatible upstream
// bench yarp --port N --upstream URL                   the YARP pass-through hop
// bench pipeline [--quick]                            only the in-process request-path figures
// bench count-tokens [--max-kb N]                     CPU time of the local token count for long strings without spaces
// bench coldstart --host-dll PATH --app DIR [--runs 3] [--label NAME]   cold start under the stand-in Functions host
// bench fallback [--requests N]                      added latency of one fallback hop (chain vs direct vs the failed attempt)
// bench coldstart-local [--proxy-dll PATH] [--runs 5] [--proxy-env K=V]   local host: process start to first 200
// bench load --url URL --body FILE [--stream] [-c N] [--duration 10s]   load alone (for profiling one server)
return args.FirstOrDefault() switch
{
    "upstream" => await FastUpstream.RunAsync(args[1..]),
    "yarp" => await YarpHop.RunAsync(args[1..]),
    "load" => await BenchRunner.LoadOnlyAsync(args[1..]),
    "pipeline" => await BenchRunner.PipelineOnlyAsync(args[1..]),
    "count-tokens" => CountTokensBench.Run(args[1..]),
    "coldstart" => await ColdStart.RunAsync(args[1..]),
    "fallback" => await FallbackBench.RunAsync(args[1..]),
    "coldstart-local" => await BenchRunner.ColdStartOnlyAsync(args[1..]),
    _ => await BenchRunner.RunAsync(args),
};
