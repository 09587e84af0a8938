namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Real-shaped assistant content from each family when the server runs no tool/reasoning parser, with the
/// expected demultiplexed events.</summary>
public static class FamilySamples
{
    public sealed record Sample(string Name, string Content, string[] Events);

    public const string Kimi =
        "I'll check the directory first. <|tool_calls_section_begin|> <|tool_call_begin|> functions.Bash:0 <|tool_call_argument_begin|> {\"command\": \"ls -la\", \"description\": \"List files\"} <|tool_call_end|> <|tool_call_begin|> functions.Read:1 <|tool_call_argument_begin|> {\"file_path\": \"/repo/README.md\"} <|tool_call_end|> <|tool_calls_section_end|>";

    public const string DeepSeekV3 =
        "Let me run it.\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>Bash\n```json\n{\"command\": \"git status\"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>Glob\n```json\n{\"pattern\": \"**/*.cs\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";

    public const string DeepSeekV31 =
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>Bash<｜tool▁sep｜>{\"command\": \"pwd\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>";

    public const string DeepSeekR1Orphan =
        "The user wants the tests run. I should use Bash.\n</think>\n\nRunning the tests now.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>Bash\n```json\n{\"command\": \"dotnet test\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";

    public const string Hermes =
        "<think>\nI need the file list.\n</think>\n\n<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"Read\", \"arguments\": {\"file_path\": \"a.py\"}}\n</tool_call>";

    public const string QwenCoder =
        "I'll edit the file.\n<tool_call>\n<function=Edit>\n<parameter=file_path>\n/src/app.py\n</parameter>\n<parameter=old_string>\nx = 1\n</parameter>\n<parameter=new_string>\nx = 2\n</parameter>\n<parameter=replace_all>\nfalse\n</parameter>\n</function>\n</tool_call>";

    public const string Glm =
        "<think>Look at the tests first.</think>\nChecking.\n<tool_call>Grep\n<arg_key>pattern</arg_key>\n<arg_value>TODO</arg_value>\n<arg_key>head_limit</arg_key>\n<arg_value>20</arg_value>\n</tool_call>";

    public static readonly Sample[] All =
    [
        new("kimi", Kimi,
        [
            "text:I'll check the directory first. ",
            "tool:functions.Bash:0|Bash|{\"command\":\"ls -la\",\"description\":\"List files\"}",
            "tool:functions.Read:1|Read|{\"file_path\":\"/repo/README.md\"}",
        ]),
        new("deepseek-v3", DeepSeekV3,
        [
            "text:Let me run it.\n\n",
            "tool:|Bash|{\"command\":\"git status\"}",
            "tool:|Glob|{\"pattern\":\"**/*.cs\"}",
        ]),
        new("deepseek-v3.1", DeepSeekV31, ["tool:|Bash|{\"command\":\"pwd\"}"]),
        new("deepseek-r1-orphan", DeepSeekR1Orphan,
        [
            "thinking:The user wants the tests run. I should use Bash.\n",
            "text:Running the tests now.",
            "tool:|Bash|{\"command\":\"dotnet test\"}",
        ]),
        new("hermes", Hermes,
        [
            "thinking:I need the file list.\n",
            "tool:|Bash|{\"command\":\"ls\"}",
            "tool:|Read|{\"file_path\":\"a.py\"}",
        ]),
        new("qwen3-coder", QwenCoder,
        [
            "text:I'll edit the file.\n",
            "tool:|Edit|{\"file_path\":\"/src/app.py\",\"old_string\":\"x = 1\",\"new_string\":\"x = 2\",\"replace_all\":false}",
        ]),
        new("glm-4.5", Glm,
        [
            "thinking:Look at the tests first.",
            "text:Checking.\n",
            "tool:|Grep|{\"pattern\":\"TODO\",\"head_limit\":20}",
        ]),
    ];
}
