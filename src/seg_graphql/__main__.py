from seg_graphql.cli import main

main()
