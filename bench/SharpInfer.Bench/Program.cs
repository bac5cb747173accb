using SharpInfer.Bench;

return Cli.Run(args);
