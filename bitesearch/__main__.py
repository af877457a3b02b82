from bitesearch.cli import main

main()
