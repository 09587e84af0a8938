using FunctionsProxy.Local;
using FunctionsProxy.Local.Cli;

// `keys ...` manages proxy keys and exits; anything else runs the local host (the proxy's endpoints on Kestrel).
if (args.Length > 0 && args[0] == "keys")
    return await KeysCommand.RunAsync(args[1..], null, Console.Out, Console.Error).ConfigureAwait(false);
return await LocalHost.RunAsync(args).ConfigureAwait(false);
