from anning.cli import main

main()
