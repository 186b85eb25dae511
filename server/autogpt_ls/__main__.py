from autogpt_ls.cli import main

main()
