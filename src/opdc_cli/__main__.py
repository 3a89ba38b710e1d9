from opdc_cli.cli import main

main()
